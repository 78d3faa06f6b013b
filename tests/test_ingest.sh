#!/usr/bin/env bash
# galaxyd ingest over real loopback UDP with real processes: `star load` into
# one galaxyd. Every valid transfer is verified exactly once, every corrupted
# signature is counted as failed, duplicates are dropped by dedup and counted,
# random/truncated/trailing/oversized datagrams are counted by reason and
# survived, the mempool receives the verified transfers, peak RSS at the
# default config stays under 1 GiB, SIGTERM stops it cleanly (exit 0, and no
# sanitizer report when built with SAN=1). Stage threads are pinned as configured.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ingest_lib.sh"
tmp=$(gx_tmpdir ingest)
gd_pid=
trap '[ -n "$gd_pid" ] && kill -KILL $gd_pid 2>/dev/null; rm -rf "$tmp"' EXIT

udp=$(gx_free_port); http=$(gx_free_port)
check "galaxyd starts with the default config and serves /metrics" gd_start a "$udp" "$http"
pid=$gd_pid
check "RX thread pinned to core 0 ([cores] rx default)" pinned "$pid" gx-rx0 0
check "verify worker pinned to core 1 ([cores] verify default)" pinned "$pid" gx-verify0 1
check "mempool stage pinned to core 0" pinned "$pid" gx-mempool 0
check "gossip stage pinned to core 0" pinned "$pid" gx-gossip 0

# ---- hostile datagrams first ----
dead=$(gx_free_port)
"$BIN/star" load --galaxy "127.0.0.1:$dead" --accounts 2 --rate 10 --duration 1 --seed 99 \
  --dump "$tmp/d.hex" >/dev/null 2>&1
good=$(head -n1 "$tmp/d.hex")
trunc=${good:0:$((${#good} - 20))}
trail="${good}00"
udp_send "$udp" random:100 random:1 "$trunc" "$trail" random:1600 random:3000 zeros:4
garbage_ok() {
  [ "$(metric "$http" 'gx_parse_errors_total{reason="version"}')" -ge 2 ] &&
    [ "$(metric "$http" 'gx_parse_errors_total{reason="oversize"}')" -ge 1 ] &&
    [ "$(metric_sum "$http" gx_sock_rx_oversize_total)" -ge 1 ]
}
wait_until 10 garbage_ok
check "wrong version byte counted (random bytes, zeros)" \
  [ "$(metric "$http" 'gx_parse_errors_total{reason="version"}')" -eq 2 ]
check "short datagrams counted (1 byte, truncated batch)" \
  [ "$(metric "$http" 'gx_parse_errors_total{reason="short"}')" -eq 2 ]
check "trailing byte after a batch counted" \
  [ "$(metric "$http" 'gx_parse_errors_total{reason="trailing"}')" -eq 1 ]
check "datagram above 1472 bytes counted as oversize" \
  [ "$(metric "$http" 'gx_parse_errors_total{reason="oversize"}')" -eq 1 ]
check "datagram above the socket slot dropped and counted by the backend" \
  [ "$(metric_sum "$http" gx_sock_rx_oversize_total)" -eq 1 ]
check "galaxyd survived the garbage" kill -0 "$pid"

# ---- star load: valid, corrupted and duplicated transfers ----
summary=$("$BIN/star" load --galaxy "127.0.0.1:$udp" --accounts 200 --rate 4000 --duration 2 \
  --corrupt-every 10 --duplicate-every 4 --seed 7 2>"$tmp/star.err")
echo "# star: $summary"
T=$(star_field "$summary" transfers); C=$(star_field "$summary" corrupted)
D=$(star_field "$summary" datagrams); U=$(star_field "$summary" duplicates)
check "star load sent transfers ($T, $C corrupted, $U duplicate datagrams)" \
  [ "${T:-0}" -gt 0 -a "${C:-0}" -gt 0 -a "${U:-0}" -gt 0 ]
all_verified() {
  [ $(($(metric "$http" gx_verify_ok_total) + $(metric_sum "$http" gx_verify_failed_total))) -ge "$T" ] &&
    [ "$(metric "$http" gx_queue_depth'{queue="mempool"}')" -eq 0 ]
}
wait_until 30 all_verified
ok_n=$(metric "$http" gx_verify_ok_total)
bad_n=$(metric_sum "$http" gx_verify_failed_total)
dup_n=$(metric "$http" gx_dedup_duplicates_total)
echo "# verified ok=$ok_n failed=$bad_n duplicates=$dup_n"
check "every valid transfer verified exactly once ($ok_n = $T - $C)" [ "$ok_n" -eq $((T - C)) ]
check "every corrupted signature counted as failed ($bad_n = $C)" [ "$bad_n" -eq "$C" ]
check "both signature sides were caught" \
  [ "$(metric "$http" 'gx_verify_failed_total{signature="initiator"}')" -gt 0 -a \
    "$(metric "$http" 'gx_verify_failed_total{signature="counterparty"}')" -gt 0 ]
check "duplicates dropped by dedup before verification ($dup_n = 5 x $U)" [ "$dup_n" -eq $((5 * U)) ]
check "no ingress drops at this rate" [ "$(metric_sum "$http" gx_ingress_drops_total)" -eq 0 ]
rx=$(metric "$http" gx_rx_datagrams_total)
check "every datagram reached the RX stage ($rx = $D + $U + 6 garbage)" [ "$rx" -eq $((D + U + 6)) ]
ins=$(metric "$http" gx_mempool_inserted_total); rej=$(metric_sum "$http" gx_mempool_rejected_total)
check "every verified transfer offered to the mempool ($ins inserted + $rej refused)" \
  [ $((ins + rej)) -eq "$ok_n" -a "$ins" -gt 0 ]
check "mempool gauge matches inserts" [ "$(metric "$http" gx_mempool_transfers)" -eq "$ins" ]
check "verify-batch histogram observed batches" \
  [ "$(metric "$http" gx_verify_batch_duration_seconds_count)" -gt 0 ]
hwm=$(metric "$http" gx_process_peak_resident_memory_bytes)
echo "# peak RSS at the default config after the load: $((hwm / 1048576)) MiB"
check "peak RSS at the default config <= 1 GiB" [ "$hwm" -gt 0 -a "$hwm" -le 1073741824 ]
check "galaxyd still alive after the load" kill -0 "$pid"

gd_stop "$pid"; gd_pid=
check "SIGTERM stops galaxyd with exit 0 (rc=$gd_rc)" [ "$gd_rc" -eq 0 ]
clean_log() { grep -q "stopped" "$tmp/a.log" && ! grep -qE "Sanitizer|runtime error" "$tmp/a.log"; }
check "clean shutdown logged, no sanitizer report" clean_log
gx_done
