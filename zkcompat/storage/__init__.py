"""On-disk state in Apache ZooKeeper's own formats: the txn log and snapshots."""
