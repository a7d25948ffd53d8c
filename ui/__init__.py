"""Shared Streamlit helpers for app.py and pages/: data access, widgets, charts.

The library (`recommender/`) never imports Streamlit; this package is the only glue.
"""
