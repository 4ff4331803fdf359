"""Built-in Coopstack modules, each registered through the ``coopstack.modules`` entry points."""
