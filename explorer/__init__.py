"""The Dash + dash-cytoscape explorer."""
