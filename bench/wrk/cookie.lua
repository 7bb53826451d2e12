-- A signed-in console page: the session cookie of a super admin.
wrk.headers["Cookie"] = os.getenv("COOKIE")
