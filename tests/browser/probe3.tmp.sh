#!/bin/bash
(cd /work/seed && PORT=3999 node src/app.js >/dev/null 2>&1 &)
sleep 1.5
URL=https://127.0.0.1:3999/ V=seed node probe2.tmp.mjs
