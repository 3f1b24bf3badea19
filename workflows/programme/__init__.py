"""The programme's registers and its targets report: what every process feeds, read by the pages.

The talent list (with each talent's yearly reviews), the leadership appointments and the yearly
figures hr enters live in :mod:`workflows.programme.registry`; process modules write there from
their ``after_step`` in the step's own transaction. :mod:`workflows.programme.reports` measures
Resolution 17's targets from them. Neither names a process, so the API may read both.
"""
