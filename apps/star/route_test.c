/* star's home-cluster map (apps/star/route.h): a node's /v1/clusters answer
 * decodes (clusters, members with and without ingest addresses, galaxies,
 * members of objects it does not know skipped), the unchanged answer, every
 * refusal (types, ranges, order, counts, the rule, addresses, text after the
 * object, depth), the home rule against gx_lsh_home_cluster and its
 * documented form (first 8 key bytes, little-endian, mod K), and picking a
 * member (rotation, skipping unknown and refused ones).
 * star is a program, not a layer: this test compiles apps/star/route.c in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "apps/star/route.c"
#include "core/gx_lsh.h"

#define ID64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MEM(i, ing) "{\"index\":" #i ",\"identity\":\"" ID64 "\",\"address\":\"127.0.0.1:710" #i "\",\"ingest\":" ing "}"

/* A map of 2 clusters of 4 (cluster 1's member 2 without an ingest address)
 * and one galaxy, as galaxyd writes it. */
static const char *map2 =
    "{\"genesis\":\"" ID64 "\",\"rule\":\"shard_of_initiator_v1\",\"cluster_count\":2,\"clusters\":["
    "{\"id\":0,\"members\":[" MEM(0, "\"127.0.0.1:9001\"") "," MEM(1, "\"127.0.0.1:9002\"") ","
    MEM(2, "\"127.0.0.1:9003\"") "," MEM(3, "\"[::1]:9004\"") "]},"
    "{\"id\":1,\"members\":[" MEM(0, "\"127.0.0.1:9005\"") "," MEM(1, "\"host-b.example:9006\"") ","
    MEM(2, "null") "," MEM(3, "\"127.0.0.1:9008\"") "]}],"
    "\"galaxies\":[" MEM(0, "\"127.0.0.1:9000\"") "]}\n";

static star_route_map_t m;

static void test_decode(void **state) {
  (void)state;
  int unch = -1;
  assert_null(star_route_decode(&m, map2, &unch));
  assert_int_equal(unch, 0);
  assert_int_equal(m.cluster_count, 2);
  assert_int_equal(m.n[0], 4);
  assert_int_equal(m.n[1], 4);
  assert_string_equal(m.ingest[0][3], "[::1]:9004");
  assert_string_equal(m.ingest[1][1], "host-b.example:9006");
  assert_string_equal(m.ingest[1][2], "");
  assert_int_equal(m.galaxy_count, 1);
  assert_string_equal(m.galaxy_ingest[0], "127.0.0.1:9000");
  assert_int_equal(m.genesis.b[1], 0x11);
  assert_int_equal(star_route_known(&m, 0), 4);
  assert_int_equal(star_route_known(&m, 1), 3);
  assert_int_equal(star_route_known(&m, 2), 0);
  /* a flat network: no clusters, the galaxies; members of unknown keys skipped */
  const char *flat = "{\"genesis\":\"" ID64 "\",\"rule\":\"shard_of_initiator_v1\",\"cluster_count\":0,"
                     "\"clusters\":[],\"later\":{\"a\":[1,2.5e3,-1,true,null,\"x\\\"y\"]},\"galaxies\":["
                     MEM(0, "null") "," MEM(1, "\"127.0.0.1:9001\"") "]}";
  assert_null(star_route_decode(&m, flat, &unch));
  assert_int_equal(m.cluster_count, 0);
  assert_int_equal(m.galaxy_count, 2);
  assert_string_equal(m.galaxy_ingest[0], "");
  /* the unchanged answer */
  assert_null(star_route_decode(&m, "{\"genesis\":\"" ID64 "\",\"unchanged\":true}\n", &unch));
  assert_int_equal(unch, 1);
  assert_int_equal(m.genesis.b[31], 0xff);
  assert_int_equal(m.cluster_count, 0);
}

/* map2 with the first `from` replaced by `to` must be refused with `why` in the reason. */
static void refused(const char *from, const char *to, const char *why) {
  static char t[8192];
  const char *at = strstr(map2, from);
  if (!at) fail_msg("'%s' not in the map", from);
  snprintf(t, sizeof t, "%.*s%s%s", (int)(at - map2), map2, to, at + strlen(from));
  int unch;
  const char *r = star_route_decode(&m, t, &unch);
  if (!r || !strstr(r, why)) fail_msg("'%s' -> '%s': got '%s', want '%s'", from, to, r ? r : "(decoded)", why);
  assert_int_equal(m.cluster_count, 0);
}

static void test_refusals(void **state) {
  (void)state;
  refused("\"rule\":\"shard_of_initiator_v1\"", "\"rule\":\"shard_of_initiator_v2\"", "rule");
  refused("\"cluster_count\":2", "\"cluster_count\":3", "cluster_count differs");
  refused("\"cluster_count\":2", "\"cluster_count\":17", "cluster_count");
  refused("\"cluster_count\":2", "\"cluster_count\":02", "cluster_count: want 0..16");
  refused("\"cluster_count\":2", "\"cluster_count\":2.0", "cluster_count: want");
  refused("\"cluster_count\":2", "\"cluster_count\":\"2\"", "cluster_count: want");
  refused("\"cluster_count\":2,", "", "want rule, cluster_count");
  refused("{\"id\":1,", "{\"id\":0,", "cluster ids");
  refused("{\"id\":1,", "{", "without id");
  refused("\"index\":1,", "\"index\":2,", "member indices");
  refused("\"index\":0,", "", "without index");
  refused("\"127.0.0.1:9005\"", "\"127.0.0.1:0\"", "ingest");
  refused("\"127.0.0.1:9005\"", "\"127.0.0.1:65536\"", "ingest");
  refused("\"127.0.0.1:9005\"", "\"127.0.0.1\"", "ingest");
  refused("\"127.0.0.1:9005\"", "\"a b:1\"", "ingest");
  refused("\"127.0.0.1:9005\"", "\"127.0.0.1:9\\u0030\"", "ingest");
  refused("\"127.0.0.1:9005\"", "9005", "ingest");
  refused("\"127.0.0.1:9005\"", "\"127.0.0.1:9005\",\"ingest\":null", "twice");
  refused("\"address\":\"127.0.0.1:7101\"", "\"address\":\"nowhere\"", "address");
  refused("\"identity\":\"" ID64 "\"", "\"identity\":\"00\"", "identity");
  refused("\"genesis\":\"" ID64 "\"", "\"genesis\":\"zz\"", "genesis");
  refused("\"genesis\":\"" ID64 "\",", "", "no genesis");
  refused("\"galaxies\":[", "\"galaxies\":[],\"x\":[", "without members");
  refused("}]}\n", "}]}}", "after the object");
  refused("}]}\n", "}]", "want ',' or '}'");
  refused("\"clusters\":[", "\"deep\":[[[[[[[[[[[]]]]]]]]]]],\"clusters\":[", "too deep");
  refused("\"clusters\":[", "\"clusters\":{", "want an array");
  int unch;
  assert_non_null(star_route_decode(&m, "", &unch));
  assert_non_null(star_route_decode(&m, "[]", &unch));
  assert_non_null(star_route_decode(&m, "{\"genesis\":\"" ID64 "\",\"unchanged\":1}", &unch));
  assert_non_null(star_route_decode(&m, "{\"genesis\":\"" ID64 "\"", &unch));
  assert_non_null(star_route_decode(&m, "{\"genesis\":\"" ID64 "\",\"unchanged\":true,\"unchanged\":true}", &unch));
  /* 17 members */
  static char big[16384];
  size_t o = (size_t)snprintf(big, sizeof big, "{\"genesis\":\"" ID64 "\",\"rule\":\"shard_of_initiator_v1\","
                                               "\"cluster_count\":1,\"clusters\":[{\"id\":0,\"members\":[");
  for (int i = 0; i < 17; i++)
    o += (size_t)snprintf(big + o, sizeof big - o, "%s{\"index\":%d,\"identity\":\"" ID64 "\",\"address\":\"h:%d\"}",
                          i ? "," : "", i, 100 + i);
  snprintf(big + o, sizeof big - o, "]}],\"galaxies\":[" MEM(0, "null") "]}");
  assert_non_null(strstr(star_route_decode(&m, big, &unch), "too many members"));
}

static void test_addr(void **state) {
  (void)state;
  const char *good[] = {"127.0.0.1:1", "a.b-c:65535", "[::1]:9000", "[fe80::1:2]:80", "h:9"};
  const char *bad[] = {"", ":1", "h:", "h:0", "h:01", "h:65536", "h:123456", "h :1", "[::1]9000", "[]:1",
                       "[g::1]:1", "h_x:1", "h:1x", "h:+1"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!star_route_addr_ok(good[i])) fail_msg("'%s' refused", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (star_route_addr_ok(bad[i])) fail_msg("'%s' taken", bad[i]);
}

static void test_home_and_pick(void **state) {
  (void)state;
  int unch;
  assert_null(star_route_decode(&m, map2, &unch));
  for (uint32_t k = 0; k < 200; k++) {
    gx_keypair_t kp;
    gx_key_derive(&kp, "route-test", 0, k);
    uint64_t le = 0;
    for (int b = 7; b >= 0; b--) le = le << 8 | kp.pk.b[b]; /* the documented rule */
    assert_int_equal(star_route_home(&m, &kp.pk), (uint32_t)(le % 2));
    assert_int_equal(star_route_home(&m, &kp.pk), gx_lsh_home_cluster(&kp.pk, 2));
  }
  /* rotation over the known members; cluster 1's member 2 has none */
  assert_int_equal(star_route_pick(&m, 0, 0, 0), 0);
  assert_int_equal(star_route_pick(&m, 0, 5, 0), 1);
  assert_int_equal(star_route_pick(&m, 1, 2, 0), 3);
  assert_int_equal(star_route_pick(&m, 1, 2, 1u << 3), 0);
  assert_int_equal(star_route_pick(&m, 1, 0, 0xb), -1); /* 0, 1, 3 refused, 2 unknown */
  assert_int_equal(star_route_pick(&m, 2, 0, 0), -1);   /* no such cluster */
  uint32_t seen = 0;
  for (uint32_t s = 0; s < 8; s++) seen |= 1u << star_route_pick(&m, 1, s, 0);
  assert_int_equal(seen, 0xb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_decode),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_addr),
    cmocka_unit_test(test_home_and_pick),
  };
  cmocka_set_message_output(CM_OUTPUT_TAP);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
