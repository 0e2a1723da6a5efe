"""Build the item search index of ``search_items`` on a site that predates it."""

from medgrid.catalog import search_index


def execute():
    search_index.ensure()
