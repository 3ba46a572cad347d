/* libmany10k.so: 10 000 small functions mg_0000 .. mg_9999, written by the
 * preprocessor (mg_NNNN(x) returns x * 3 + 0xNNNN), for the benchmark's
 * stop-the-world pause with 1, 100, 1000 and 10 000 probes (pause_app).
 * Globs: mg_0000 (1), mg_00?? (100), mg_0??? (1000), mg_* (10 000).
 */
#define MG_FN(n) int mg_##n(int x) { return x * 3 + 0x##n; }
#define MG_10(p) MG_FN(p##0) MG_FN(p##1) MG_FN(p##2) MG_FN(p##3) MG_FN(p##4) \
		 MG_FN(p##5) MG_FN(p##6) MG_FN(p##7) MG_FN(p##8) MG_FN(p##9)
#define MG_100(p) MG_10(p##0) MG_10(p##1) MG_10(p##2) MG_10(p##3) MG_10(p##4) \
		  MG_10(p##5) MG_10(p##6) MG_10(p##7) MG_10(p##8) MG_10(p##9)
#define MG_1000(p) MG_100(p##0) MG_100(p##1) MG_100(p##2) MG_100(p##3) MG_100(p##4) \
		   MG_100(p##5) MG_100(p##6) MG_100(p##7) MG_100(p##8) MG_100(p##9)

MG_1000(0) MG_1000(1) MG_1000(2) MG_1000(3) MG_1000(4)
MG_1000(5) MG_1000(6) MG_1000(7) MG_1000(8) MG_1000(9)
