"""Extra ``medgrid-runtime`` commands contributed by other parts of the runtime.

Every module in this package that defines ``commands`` (a list of click commands) is picked up by
``medgrid_runtime.cli`` at import time, e.g. ``medgrid_runtime/commands/serve.py``::

    import click

    @click.command("serve")
    @click.option("--port", default=8000)
    @pass_context            # from medgrid_runtime.cli: gives the Frappe-style context
    def serve(context, port): ...

    commands = [serve]
"""
