"""IoT energy telemetry service: devices, readings and alerts (example)."""
