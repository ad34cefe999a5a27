{
  "targets": [
    {
      "target_name": "vrrp_raw",
      "sources": ["src/vrrp_raw.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
