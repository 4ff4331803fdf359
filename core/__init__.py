"""Coopstack core: tenancy, identity, membership, module registry and the shared services."""
