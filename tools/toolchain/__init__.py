"""Getting the real engine, the kafka plugin, the venv and the Kafka jars onto a machine (standard library only)."""
