"""Code the tests and benchmarks share that the device never runs: a pty standing in for
a serial cable (``pty_port``) and the check of a run against its scenario's ``[expect]``
table (``expect``). Kept out of ``pi_app`` so the package ships only what it runs;
importable as ``helpers`` because ``[tool.pytest.ini_options] pythonpath`` has tests/.
"""
