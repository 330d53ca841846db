"""Setting up counties and regions: processes that cross capabilities.

A new county gets its default lines (rota); a tenant file declares staff (accounts), lines and
posts (rota), office hours and calendar days (calendar), each change audited; the regions file
groups counties. ``tenancy`` stays the ground floor (tables, context, permissions) and imports none
of this.
"""
