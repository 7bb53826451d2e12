-- One token for every request: Authorization: Bearer $TOKEN.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
