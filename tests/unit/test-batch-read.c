/*
 * test-batch-read.c -- the rows of `aura batch`: plain topics (blank and
 * # lines skipped), CSV (quoting, quoted newlines, header errors, field
 * counts, the line each row starts on), JSON Lines (unknown members, bad
 * lines), format detection, a row's params and its key.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"
#include "cli/batch-read.h"

static struct batch_rows rows;
static struct aura_error err;

static int rd(const char *text, enum batch_format f)
{
	aura_error_clear(&err);
	return batch_read(text, strlen(text), f, &rows, &err);
}

static const char *cell(size_t i, const char *k)
{
	return json_string_value(json_object_get(rows.v[i].cells, k));
}

static void test_plain(void **state)
{
	(void)state;
	assert_int_equal(rd("# topics\n\nvolcanoes\n  tides  \r\n#x\nbees", BATCH_PLAIN), 0);
	assert_int_equal(rows.n, 3);
	assert_string_equal(cell(0, "topic"), "volcanoes");
	assert_int_equal(rows.v[0].line, 3);
	assert_string_equal(cell(1, "topic"), "tides");
	assert_int_equal(rows.v[1].line, 4);
	assert_int_equal(rows.v[2].line, 6);
	batch_rows_free(&rows);
	assert_int_equal(rd("\n# only comments\n", BATCH_PLAIN), -AURA_E_BATCH_FILE_INVALID);
}

static void test_csv_quoting(void **state)
{
	(void)state;
	const char *t = "topic,duration,name\n"
			"\"a, b\",30,\"say \"\"hi\"\"\"\n"
			"\n"
			"\"two\nlines\",,x\n"
			"last,40,y";
	assert_int_equal(rd(t, BATCH_CSV), 0);
	assert_int_equal(rows.n, 3);
	assert_string_equal(cell(0, "topic"), "a, b");
	assert_string_equal(cell(0, "name"), "say \"hi\"");
	assert_string_equal(cell(0, "duration"), "30");
	assert_int_equal(rows.v[0].line, 2);
	assert_string_equal(cell(1, "topic"), "two\nlines");
	assert_null(json_object_get(rows.v[1].cells, "duration")); /* empty: absent */
	assert_int_equal(rows.v[1].line, 4);
	assert_int_equal(rows.v[2].line, 6);
	assert_string_equal(cell(2, "name"), "y");
	batch_rows_free(&rows);
}

static void test_csv_errors(void **state)
{
	(void)state;
	assert_int_equal(rd("topic,durtion\nx,3\n", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(err.detail, "line 1, column durtion: not a job option (the header "
					"names the columns)");
	assert_int_equal(rd("topic,topic\nx,y\n", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
	assert_non_null(strstr(err.detail, "line 1, column topic: named twice"));
	assert_int_equal(rd("topic,duration\na,1\nb\n", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(err.detail, "line 3: 1 fields, but the header has 2");
	assert_int_equal(rd("topic\na\n\"open\n", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
	assert_non_null(strstr(err.detail, "line 3: "));
	assert_int_equal(rd("", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
	assert_int_equal(rd("topic\n", BATCH_CSV), -AURA_E_BATCH_FILE_INVALID);
}

static void test_jsonl(void **state)
{
	(void)state;
	assert_int_equal(rd("{\"topic\":\"a\",\"duration\":30}\n\n"
			    "{\"kind\":\"ffmpeg\",\"args\":[\"-i\",\"x\"]}\n",
			    BATCH_JSONL),
			 0);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.v[1].line, 3);
	assert_int_equal(json_integer_value(json_object_get(rows.v[0].cells, "duration")), 30);
	batch_rows_free(&rows);
	assert_int_equal(rd("{\"topic\":\"a\"}\n{\"topic\":\"b\",\"colour\":1}\n", BATCH_JSONL),
			 -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(err.detail, "line 2, column colour: not a job option");
	assert_int_equal(rd("{\"topic\":\"a\"}\n[1]\n", BATCH_JSONL), -AURA_E_BATCH_FILE_INVALID);
	assert_non_null(strstr(err.detail, "line 2: a row must be a JSON object"));
	assert_int_equal(rd("\n\n{\"topic\":\n", BATCH_JSONL), -AURA_E_BATCH_FILE_INVALID);
	assert_non_null(strstr(err.detail, "line 3: not JSON"));
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(batch_format_detect("x.CSV", "{"), BATCH_CSV);
	assert_int_equal(batch_format_detect("x.ndjson", "a"), BATCH_JSONL);
	assert_int_equal(batch_format_detect("x.jsonl", "a"), BATCH_JSONL);
	assert_int_equal(batch_format_detect("x.txt", "  \n {\"topic\":1}"), BATCH_JSONL);
	assert_int_equal(batch_format_detect(NULL, "volcanoes"), BATCH_PLAIN);
	assert_int_equal(batch_format_parse("csv"), BATCH_CSV);
	assert_int_equal(batch_format_parse("xml"), -1);
}

static void test_params(void **state)
{
	(void)state;
	struct batch_defaults d = { "/home/u", "gpu", "5", NULL, false };
	json_t *p, *q;
	const char *col;
	assert_int_equal(rd("topic,duration,images,key\nbees,30,pics,\nbees,30,pics,\n", BATCH_CSV),
			 0);
	assert_int_equal(batch_row_params(&rows.v[0], &d, &p, &col, &err), 0);
	json_t *o = json_object_get(p, "options");
	assert_int_equal(json_integer_value(json_object_get(o, "duration")), 30);
	assert_int_equal(json_integer_value(json_object_get(o, "priority")), 5);
	assert_string_equal(json_string_value(json_object_get(o, "images")), "/home/u/pics");
	assert_string_equal(json_string_value(json_object_get(p, "pool")), "gpu");
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/home/u");
	const char *key = json_string_value(json_object_get(p, "key"));
	assert_int_equal(strlen(key), 4 + 32);
	assert_memory_equal(key, "row:", 4);
	/* the same row: the same key */
	assert_int_equal(batch_row_params(&rows.v[1], &d, &q, &col, &err), 0);
	assert_string_equal(key, json_string_value(json_object_get(q, "key")));
	json_decref(q);
	json_decref(p);
	batch_rows_free(&rows);

	assert_int_equal(
	    rd("{\"kind\":\"ffmpeg\",\"args\":\"ffmpeg -i 'a b.mp4' out.mp4\","
	       "\"key\":\"k1\"}\n{\"kind\":\"ffmpeg\",\"topic\":\"x\",\"args\":\"-i\"}\n"
	       "{\"duration\":3}\n{\"kind\":\"ffmpeg\",\"args\":\"a | b\"}\n",
	       BATCH_JSONL),
	    0);
	assert_int_equal(batch_row_params(&rows.v[0], &d, &p, &col, &err), 0);
	json_t *argv = json_object_get(p, "argv");
	assert_int_equal(json_array_size(argv), 3);
	assert_string_equal(json_string_value(json_array_get(argv, 1)), "a b.mp4");
	assert_string_equal(json_string_value(json_object_get(p, "key")), "k1");
	json_decref(p);
	assert_int_equal(batch_row_params(&rows.v[1], &d, &p, &col, &err),
			 -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(col, "topic");
	assert_int_equal(batch_row_params(&rows.v[2], &d, &p, &col, &err),
			 -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(col, "topic");
	assert_non_null(strstr(err.detail, "line 3, column topic: "));
	assert_int_equal(batch_row_params(&rows.v[3], &d, &p, &col, &err),
			 -AURA_E_BATCH_FILE_INVALID);
	assert_string_equal(col, "args");
	batch_rows_free(&rows);
}

/* --host: the rows' paths are the server's, sent as they are */
static void test_params_remote(void **state)
{
	(void)state;
	struct batch_defaults d = { "/home/u", NULL, NULL, NULL, true };
	json_t *p;
	const char *col;
	assert_int_equal(rd("topic,script,images,output\n"
			    "bees,/srv/s.txt,/srv/pics,/srv/o.mp4\n"
			    "bees,/srv/s.txt,pics,\n"
			    "bees,s.txt,,\n",
			    BATCH_CSV),
			 0);
	assert_int_equal(batch_row_params(&rows.v[0], &d, &p, &col, &err), 0);
	json_t *o = json_object_get(p, "options");
	assert_string_equal(json_string_value(json_object_get(o, "script_path")), "/srv/s.txt");
	assert_null(json_object_get(o, "script")); /* never opened here */
	assert_string_equal(json_string_value(json_object_get(o, "images")), "/srv/pics");
	assert_string_equal(json_string_value(json_object_get(o, "output")), "/srv/o.mp4");
	assert_null(json_object_get(p, "cwd")); /* this shell's means nothing there */
	json_decref(p);
	assert_int_equal(batch_row_params(&rows.v[1], &d, &p, &col, &err),
			 -AURA_E_REMOTE_PATH_RELATIVE);
	assert_string_equal(col, "images");
	assert_non_null(strstr(err.detail, "line 3, column images: pics"));
	assert_int_equal(batch_row_params(&rows.v[2], &d, &p, &col, &err),
			 -AURA_E_REMOTE_PATH_RELATIVE);
	assert_string_equal(col, "script");
	batch_rows_free(&rows);

	assert_int_equal(rd("{\"kind\":\"ffmpeg\",\"args\":\"-i /a.mp4 /b.mp4\"}\n"
			    "{\"kind\":\"ffmpeg\",\"args\":\"-i a b\",\"cwd\":\"w\"}\n"
			    "{\"kind\":\"ffmpeg\",\"args\":\"-i a b\",\"output\":\"b\"}\n",
			    BATCH_JSONL),
			 0);
	assert_int_equal(batch_row_params(&rows.v[0], &d, &p, &col, &err), 0);
	assert_null(json_object_get(p, "cwd")); /* its work directory, as submit */
	json_decref(p);
	assert_int_equal(batch_row_params(&rows.v[1], &d, &p, &col, &err),
			 -AURA_E_REMOTE_PATH_RELATIVE);
	assert_string_equal(col, "cwd");
	assert_int_equal(batch_row_params(&rows.v[2], &d, &p, &col, &err),
			 -AURA_E_REMOTE_PATH_RELATIVE);
	assert_string_equal(col, "output");
	batch_rows_free(&rows);
}

static void test_hash(void **state)
{
	(void)state;
	char a[33], b[33];
	json_t *x = json_pack("{s:s, s:i}", "topic", "a", "n", 1);
	json_t *y = json_pack("{s:i, s:s}", "n", 1, "topic", "a");
	batch_row_hash(x, a);
	batch_row_hash(y, b);
	assert_string_equal(a, b); /* key order does not matter */
	json_object_set_new(y, "n", json_integer(2));
	batch_row_hash(y, b);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	json_decref(x);
	json_decref(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),	      cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_errors),    cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_detect),	      cmocka_unit_test(test_params),
		cmocka_unit_test(test_params_remote), cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
