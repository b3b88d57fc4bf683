# Turns tests/bench/run.sh's results ("server round key value" lines) into markdown tables:
# the ratios against the targets (min / median / max over the rounds), then absolute medians.
# Variables: big, small (allocation counts of the runs).

{ v[$1, $3, $2] = $4; rounds[$2] = 1 }

# Fills vals[1..n] with a_srv:a_key / b_srv:b_key per round (b_srv "" means no divisor).
function collect(a_srv, a_key, b_srv, b_key,    r, n) {
  delete vals
  n = 0
  for (r in rounds) {
    if (!((a_srv, a_key, r) in v)) continue
    if (b_srv == "") { vals[++n] = v[a_srv, a_key, r]; continue }
    if (!((b_srv, b_key, r) in v) || v[b_srv, b_key, r] <= 0) continue
    vals[++n] = v[a_srv, a_key, r] / v[b_srv, b_key, r]
  }
  sort(n)
  return n
}

function sort(n,    i, j, t) {
  for (i = 2; i <= n; i++) {
    t = vals[i]
    for (j = i - 1; j >= 1 && vals[j] > t; j--) vals[j + 1] = vals[j]
    vals[j + 1] = t
  }
}

function median(n) { return n % 2 ? vals[(n + 1) / 2] : (vals[n / 2] + vals[n / 2 + 1]) / 2 }

function spread(n, digits,    f) {
  if (n == 0) return "n/a"
  f = "%." digits "f"
  if (n == 1) return sprintf(f, vals[1])
  return sprintf(f " / " f " / " f, vals[1], median(n), vals[n])
}

# A row: Ferry's figure, coturn's, the target; "met?" from Ferry's median (loss: from its max).
function row(label, f_srv, f_key, c_srv, c_key, div_key, target, digits, kind,    n, fs, med, mx, met) {
  n = collect("ferry", f_key, f_srv, div_key == "" ? f_key : div_key)
  fs = spread(n, digits)
  med = n ? median(n) : -1
  mx = n ? vals[n] : -1
  n = collect("coturn", c_key, c_srv, div_key == "" ? c_key : div_key)
  if (med < 0) met = "n/a"
  else if (kind == "zero") met = mx == 0 ? "yes" : "no"
  else if (med <= target) met = mx <= target ? "yes" : "yes (median; max " sprintf("%.2f", mx) ")"
  else met = "**no**"
  printf "| %s | %s | %s | %s | %s |\n", label, fs, spread(n, digits), \
    kind == "zero" ? "0" : "<= " target, met
}

# Medians per server; all != "" prints min / median / max instead.
function absolute(label, key, digits, all,    s, n, line, i) {
  line = "| " label
  split("bare ferry coturn", s, " ")
  for (i = 1; i <= 3; i++) {
    n = collect(s[i], key, "", "")
    line = line " | " (n == 0 ? "-" : all != "" ? spread(n, digits) : sprintf("%." digits "f", median(n)))
  }
  print line " |"
}

END {
  print "| figure | Ferry (min / median / max) | coturn (min / median / max) | target | met? |"
  print "|---|---|---|---|---|"
  row("CPU/packet, 100 B ChannelData client->peer, / bare", "bare", "cd100_c2p", "bare", "cd100_c2p", "", 1.10, 2)
  row("CPU/packet, 100 B ChannelData peer->client, / bare", "bare", "cd100_p2c", "bare", "cd100_p2c", "", 1.10, 2)
  row("CPU/packet, 1000 B ChannelData client->peer, / bare", "bare", "cd1000_c2p", "bare", "cd1000_c2p", "", 1.15, 2)
  row("CPU/packet, 1000 B ChannelData peer->client, / bare", "bare", "cd1000_p2c", "bare", "cd1000_p2c", "", 1.15, 2)
  row("CPU/packet, 100 B Send indication client->peer, / bare ChannelData", "bare", "ind100_c2p", "bare", "ind100_c2p", "cd100_c2p", 1.25, 2)
  row("CPU/packet, 100 B Data indication peer->client, / bare ChannelData", "bare", "ind100_p2c", "bare", "ind100_p2c", "cd100_p2c", 1.25, 2)
  row("RSS per 1,000 held allocations (permission + channel each), MB, " big " held", "", "rss_mb_per_1000", "", "rss_mb_per_1000", "", 4, 2)
  row("CPU per Allocate (401 + authenticated Allocate), / coturn's", "coturn", "alloc_cpu_us", "coturn", "alloc_cpu_us", "", 0.5, 2)
  row("CPU/packet with " big " live allocations / with " small " (100 B c2p, own server)", "ferry", "big_c2p", "coturn", "big_c2p", "cd100_c2p", 1.10, 2)
  n = collect("bare", "big_c2p", "bare", "cd100_c2p")
  printf "| the same for the bare relay (%s mappings / %s): the kernel's share | %s | | | |\n", \
    big, small, spread(n, 2)
  row("loss at 80% of saturation (both directions, 100 B), %", "", "loss80_pct", "", "loss80_pct", "", 0, 4, "zero")
  print ""
  print "Absolute figures (medians over the rounds; loss rows: min / median / max):"
  print ""
  print "| figure | bare relay | Ferry | coturn |"
  print "|---|---|---|---|"
  absolute("µs of server CPU per packet, 100 B ChannelData c2p", "cd100_c2p", 2)
  absolute("µs/packet, 100 B ChannelData p2c", "cd100_p2c", 2)
  absolute("µs/packet, 1000 B ChannelData c2p", "cd1000_c2p", 2)
  absolute("µs/packet, 1000 B ChannelData p2c", "cd1000_p2c", 2)
  absolute("µs/packet, 100 B Send indication c2p", "ind100_c2p", 2)
  absolute("µs/packet, 100 B Data indication p2c", "ind100_p2c", 2)
  absolute("µs/packet, 100 B ChannelData c2p, " big " allocations", "big_c2p", 2)
  absolute("saturation, both directions, delivered packets/s", "saturation_pps", 0)
  absolute("loss in the saturation window, % (0: the generator, not the server, was the limit)", "saturation_loss_pct", 1, "all")
  absolute("packets lost at 80% of saturation", "loss80_lost", 0, "all")
  absolute("µs of server CPU per Allocate (401 + authenticated)", "alloc_cpu_us", 1)
  absolute("Allocates/s, one client at a time", "alloc_rate", 0)
  absolute("RSS MB per 1,000 held allocations", "rss_mb_per_1000", 2)
}
