"""Background work on arq: thin wrappers that call the app's services.

arq runs a job at least once and a periodic job possibly on two workers at once: every job is
idempotent and the database is the source of truth.

One convention for every job (``workers.partitioned``):

- A county's work is one function ``work(ctx, county) -> report``: ``ctx`` is the worker's (Redis,
  settings), ``county`` a ``TenantInfo``; the work builds its ``TenantContext`` with its own
  ``Actor`` when the services need one. Its report is a dataclass or a dict of counts.
- Periodic work is a ``Periodic(kind, work, period, offset)`` in ``workers.settings.PERIODIC``: each
  worker runs it at every tick for every county (``each_county``), each county under
  ``county_lock(kind, county)`` and recorded in the tick's ledger. No periodic job walks the
  counties itself; the one cron, ``recover_jobs``, reads only the job records.
- A job enqueued for a county (``app.jobs.enqueue``) is an arq function ``(ctx, tenant_id, *args)``,
  wrapped in ``running.tracked``, that calls ``on_demand(ctx, kind, tenant_id, work)``: it finds
  the county, holds the same ``county_lock(kind, county)`` as the periodic run of that kind, and
  reports 100 % when done.
- "Now" is ``app.clock.now()``, here as everywhere.
"""
