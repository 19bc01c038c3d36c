"""Readers and writers, one per format or store, behind one small interface."""
