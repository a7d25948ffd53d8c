"""``python -m bench`` (= ``make bench``): the scale benchmark, see :mod:`bench.scale`."""
from bench.scale import main

raise SystemExit(main())
