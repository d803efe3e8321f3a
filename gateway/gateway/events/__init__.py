"""The events the gateway publishes (straight to JetStream: it keeps no database)."""
