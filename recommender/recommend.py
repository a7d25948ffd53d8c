"""Moved to :mod:`recommender.recommenders` (one module per job); kept while the pages move over."""
from .recommenders import *  # noqa: F403
from .recommenders import METHODS, Filters, make_recommender  # noqa: F401
