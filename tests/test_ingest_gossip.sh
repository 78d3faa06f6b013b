#!/usr/bin/env bash
# Two galaxyd processes gossiping over loopback: A lists B as its peer over
# IPv6 ([::1], when the host has it; both listen dual-stack on [::]) and B
# lists A over IPv4. Transfers sent to A
# reach B's mempool by gossip; A forwards each newly verified transfer once;
# B verifies each once and forwards back to A, whose dedup drops the echoes
# (so A still verified every transfer exactly once). B runs two RX queues.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest_lib.sh"
tmp=$(gx_tmpdir gossip)
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

ua=$(gx_free_port); ha=$(gx_free_port); ub=$(gx_free_port); hb=$(gx_free_port)
if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
  b_addr="[::1]:$ub"; b_listen="[::]:$ub"; a_listen="[::]:$ua" # dual stack: IPv4 clients too
else
  b_addr="127.0.0.1:$ub"; b_listen="127.0.0.1:$ub"; a_listen="127.0.0.1:$ua"
fi
echo "# A 127.0.0.1:$ua -> B $b_addr"

check "node B starts (listen $b_listen, peer A, two RX queues)" gd_start b "$b_listen" "$hb" \
  --set gossip.peers="127.0.0.1:$ua" --set cores.verify=0 --set cores.rx=0,1
pid_b=$gd_pid; pids+=("$pid_b")
check "node A starts (listen $a_listen, peer B $b_addr)" gd_start a "$a_listen" "$ha" --set gossip.peers="$b_addr"
pid_a=$gd_pid; pids+=("$pid_a")

summary=$("$BIN/star" load --galaxy "127.0.0.1:$ua" --accounts 100 --rate 2000 --duration 2 \
  --corrupt-every 20 --seed 11 2>/dev/null)
echo "# star: $summary"
T=$(star_field "$summary" transfers); C=$(star_field "$summary" corrupted)
V=$((T - C))
b_has_all() { [ "$(metric "$hb" gx_mempool_inserted_total)" -ge "$V" ]; }
wait_until 30 b_has_all
a_echoes() { [ "$(metric "$ha" gx_dedup_duplicates_total)" -ge "$V" ]; }
wait_until 10 a_echoes

check "A verified every valid transfer once ($V)" [ "$(metric "$ha" gx_verify_ok_total)" -eq "$V" ]
check "A forwarded each newly verified transfer once" \
  [ "$(metric "$ha" gx_gossip_forwarded_total)" -eq "$V" ]
check "A's gossip left in batched datagrams (fewer datagrams than transfers)" \
  [ "$(metric_sum "$ha" gx_gossip_sent_datagrams_total)" -lt "$V" -a \
    "$(metric_sum "$ha" gx_gossip_sent_datagrams_total)" -gt 0 ]
check "transfers sent to A reached B's mempool by gossip ($V)" \
  [ "$(metric "$hb" gx_mempool_inserted_total)" -eq "$V" ]
check "B verified each gossiped transfer once and none failed" \
  [ "$(metric "$hb" gx_verify_ok_total)" -eq "$V" -a "$(metric_sum "$hb" gx_verify_failed_total)" -eq 0 ]
check "corrupted transfers were not gossiped" [ "$(metric "$hb" gx_rx_datagrams_total)" -gt 0 -a \
  "$(metric "$hb" gx_parse_transfers_total)" -eq "$V" ]
check "B's echoes back to A were dropped by A's dedup" \
  [ "$(metric "$ha" gx_dedup_duplicates_total)" -eq "$V" ]
check "no send drops on either node" \
  [ "$(metric_sum "$ha" gx_gossip_send_drops_total)" -eq 0 -a "$(metric_sum "$hb" gx_sock_tx_drops_total)" -eq 0 ]

check "B runs two SO_REUSEPORT RX queues" \
  grep -q '^gx_sock_rx_errors_total{queue="1"} ' <(curl -sf "http://127.0.0.1:$hb/metrics")
check "B's RX threads pinned to cores 0 and 1" pinned "$pid_b" gx-rx1 1
gd_stop "$pid_a"; rc_a=$gd_rc
gd_stop "$pid_b"; rc_b=$gd_rc
check "both nodes stop on SIGTERM with exit 0 (A=$rc_a B=$rc_b)" [ "$rc_a" -eq 0 -a "$rc_b" -eq 0 ]
gx_done
