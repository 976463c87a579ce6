"""zkcompat: a ZooKeeper-compatible server that speaks ZooKeeper's wire protocol."""
