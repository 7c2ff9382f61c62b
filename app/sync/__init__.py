"""Offline learning (issue 20): events recorded on a device without a signal, applied exactly once
through the same operations as online ones; the course package a device stores; the quiz setting
"may be taken offline"; BPSDM's review of entries that arrived late."""
