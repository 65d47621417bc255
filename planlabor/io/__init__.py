"""Readers by format and publisher, and writers for exports."""
