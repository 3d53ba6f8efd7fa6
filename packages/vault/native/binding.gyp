{
  "targets": [
    {
      "target_name": "lagebild_gcm",
      "sources": ["src/lagebild_gcm.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
