-- Lead intake: a form submission with the source's form token.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"fields": {"email": "bench@example.com", "name": "Bench"}, "select_field_values": {"select_partner": "SELECT_PARTNER"}}'
