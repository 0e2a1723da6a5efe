"""The catalog team's back office: product approval (``approval.py``) and vendor mapping (``mapping.py``).

Both are admin tools over Item; the public catalog endpoints stay in ``medgrid.catalog``.
"""
