app_name = "http_probe"
app_title = "HTTP Probe"

override_whitelisted_methods = {"vendor.webhook.receive": "http_probe.api.guest_echo"}
after_request = ["http_probe.api.after_request_hook"]
