/* zkcompat.storage._snapscan: the znode records of a snapshot, read in C.
 *
 * A snapshot of a million znodes is a million records of (ustring path, buffer data, long ACL
 * id, StatPersisted), and reading them dominates a restart. scan() reads a run of them into
 * the tuples DataTree.restore_nodes takes, adding up ZooKeeper's tree digest on the way, and
 * hands the rest back to zkcompat/storage/snapshot.py, which stays the reference: its Python
 * loop reads the same records where this module was not built, and it alone raises errors.
 * scan() never raises for bad bytes; it stops before the record it cannot read and says why,
 * and snapshot.py re-reads that record field by field to report it precisely.
 *
 * The digest is ZooKeeper's DigestCalculator (version 2): per znode, CRC-32 over the path
 * ("" for the root), the data, then the stat's fields in the order czxid mzxid pzxid ctime
 * mtime version cversion aversion ephemeralOwner; 0 for paths under /zookeeper/; the tree's
 * is the sum as a 64-bit long. CRC-32 is implemented here (slicing by 8) so that the module
 * needs no zlib headers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Why scan() stopped; the Python side decides what each means. */
enum Stop {
    S_MORE,       /* it read `limit` records: call again from the returned position */
    S_END,        /* it read the "/" end marker: the position is just after it */
    S_UNREADABLE, /* the record at the position is truncated, malformed or not UTF-8 */
    S_NEW_ACL,    /* the record at the position names an ACL id not yet in `resolved` */
};

#define ACL_AND_STAT 68 /* long ACL id, then StatPersisted: 4 longs, 3 ints, 2 longs */
#define STAT_AT 8       /* where StatPersisted starts in that tail */
#define RECORD_FIELDS 12

static const char ZK_SUBTREE[] = "/zookeeper/"; /* nothing below it counts in the digest */
#define ZK_SUBTREE_LEN (sizeof(ZK_SUBTREE) - 1)

/* --- CRC-32 (zlib's: reflected polynomial 0xEDB88320) -------------------------------------- */

static uint32_t crc_table[8][256];

static void
crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[0][n] = c;
    }
    for (int t = 1; t < 8; t++) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = crc_table[t - 1][n];
            crc_table[t][n] = crc_table[0][c & 0xFF] ^ (c >> 8);
        }
    }
}

static inline uint32_t
load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Continue a CRC over n more bytes; `crc` is the running register (complemented CRC). */
static uint32_t
crc_update(uint32_t crc, const unsigned char *p, Py_ssize_t n)
{
    while (n >= 8) {
        uint32_t lo = crc ^ load_le32(p), hi = load_le32(p + 4);
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][lo >> 8 & 0xFF] ^
              crc_table[5][lo >> 16 & 0xFF] ^ crc_table[4][lo >> 24] ^
              crc_table[3][hi & 0xFF] ^ crc_table[2][hi >> 8 & 0xFF] ^
              crc_table[1][hi >> 16 & 0xFF] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) {
        crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    }
    return crc;
}

/* One znode's digest: path, data, then the stat with pzxid moved after mzxid. */
static uint32_t
node_digest(const unsigned char *path, Py_ssize_t path_len, const unsigned char *data,
            Py_ssize_t data_len, const unsigned char *stat)
{
    uint32_t crc = 0xFFFFFFFFu;
    crc = crc_update(crc, path, path_len);
    crc = crc_update(crc, data, data_len);
    crc = crc_update(crc, stat, 16);      /* czxid mzxid */
    crc = crc_update(crc, stat + 52, 8);  /* pzxid */
    crc = crc_update(crc, stat + 16, 36); /* ctime mtime version cversion aversion owner */
    return ~crc;
}

/* --- big-endian fields --------------------------------------------------------------------- */

static inline int32_t
be32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static inline int64_t
be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)(uint32_t)be32(p) << 32 | (uint32_t)be32(p + 4));
}

/* --- ACL ids ------------------------------------------------------------------------------- */

/* The ACL of the znodes just read: snapshots list siblings together and siblings mostly share
 * a list, so one remembered id makes the common record cost no dict lookup, and its uses are
 * added to the `uses` dict once per run instead of once per znode. */
typedef struct {
    int64_t id;
    PyObject *acl; /* strong reference; NULL while no run is open */
    Py_ssize_t count;
} AclRun;

/* uses[run.id] += run.count, closing the run; -1 with an exception on failure. */
static int
acl_run_close(AclRun *run, PyObject *uses)
{
    if (run->acl == NULL) {
        return 0;
    }
    Py_CLEAR(run->acl);
    PyObject *key = PyLong_FromLongLong(run->id);
    if (key == NULL) {
        return -1;
    }
    Py_ssize_t before = 0;
    PyObject *old = PyDict_GetItemWithError(uses, key);
    if (old != NULL) {
        before = PyLong_AsSsize_t(old);
    }
    PyObject *total = PyErr_Occurred() ? NULL : PyLong_FromSsize_t(before + run->count);
    int result = total == NULL ? -1 : PyDict_SetItem(uses, key, total);
    Py_XDECREF(total);
    Py_DECREF(key);
    return result;
}

/* The resolved ACL list for `id` (borrowed from the run), opening a new run when it changes.
 * NULL without an exception when `resolved` lacks the id; NULL with one on failure. */
static PyObject *
acl_lookup(AclRun *run, int64_t id, PyObject *resolved, PyObject *uses)
{
    if (run->acl != NULL && run->id == id) {
        return run->acl;
    }
    if (acl_run_close(run, uses) < 0) {
        return NULL;
    }
    PyObject *key = PyLong_FromLongLong(id);
    if (key == NULL) {
        return NULL;
    }
    PyObject *acl = PyDict_GetItemWithError(resolved, key);
    Py_DECREF(key);
    if (acl == NULL) {
        return NULL;
    }
    run->id = id;
    run->acl = Py_NewRef(acl);
    run->count = 0;
    return acl;
}

/* --- the scan ------------------------------------------------------------------------------ */

/* The last few zxids and times made into ints, to hand out again. A znode's czxid, mzxid and
 * pzxid are often one number, its ctime and mtime another, and neighbours share times: a
 * million restored znodes then hold a few hundred thousand ints instead of five million. */
#define SHARED_LONGS 8

typedef struct {
    int64_t value[SHARED_LONGS];
    PyObject *obj[SHARED_LONGS]; /* strong references; NULL while unfilled */
    int next;                    /* the slot to refill on a miss */
} SharedLongs;

/* A new reference to an int of `value`, shared with an earlier one when cached. */
static PyObject *
shared_long(SharedLongs *shared, int64_t value)
{
    for (int i = 0; i < SHARED_LONGS; i++) {
        if (shared->obj[i] != NULL && shared->value[i] == value) {
            return Py_NewRef(shared->obj[i]);
        }
    }
    PyObject *obj = PyLong_FromLongLong(value);
    if (obj != NULL) {
        int slot = shared->next;
        shared->next = (slot + 1) % SHARED_LONGS;
        Py_XSETREF(shared->obj[slot], Py_NewRef(obj));
        shared->value[slot] = value;
    }
    return obj;
}

static void
shared_longs_clear(SharedLongs *shared)
{
    for (int i = 0; i < SHARED_LONGS; i++) {
        Py_CLEAR(shared->obj[i]);
    }
}

/* StatPersisted's fields in its order, at their offsets; ints where not longs. */
static const int STAT_OFFSET[] = {0, 8, 16, 24, 32, 36, 40, 44, 52};
static const int STAT_IS_INT[] = {0, 0, 0, 0, 1, 1, 1, 0, 0};
#define STAT_FIELDS (RECORD_FIELDS - 3)
#define OWNER_FIELD 7 /* ephemeralOwner: a session id, not worth caching */

/* The record tuple: (path, data, acl, czxid, mzxid, ctime, mtime, version, cversion, aversion,
 * ephemeralOwner, pzxid), StatPersisted's fields in their order. Steals path and data. */
static PyObject *
make_record(PyObject *path, PyObject *data, PyObject *acl, const unsigned char *stat,
            SharedLongs *shared)
{
    PyObject *record = PyTuple_New(RECORD_FIELDS);
    if (record == NULL) {
        Py_DECREF(path);
        Py_DECREF(data);
        return NULL;
    }
    PyTuple_SET_ITEM(record, 0, path);
    PyTuple_SET_ITEM(record, 1, data);
    PyTuple_SET_ITEM(record, 2, Py_NewRef(acl));
    for (int i = 0; i < STAT_FIELDS; i++) {
        const unsigned char *at = stat + STAT_OFFSET[i];
        PyObject *field = STAT_IS_INT[i]  ? PyLong_FromLong(be32(at))
                          : i == OWNER_FIELD ? PyLong_FromLongLong(be64(at))
                                             : shared_long(shared, be64(at));
        if (field == NULL) {
            Py_DECREF(record);
            return NULL;
        }
        PyTuple_SET_ITEM(record, 3 + i, field);
    }
    return record;
}

typedef struct {
    const unsigned char *buf;
    Py_ssize_t end;
    Py_ssize_t pos;
    uint64_t digest; /* modulo 2**64, as Java's long wraps */
    SharedLongs shared;
} Scan;

/* Read one record at s->pos into *record, moving past it. Returns a Stop: S_MORE when a record
 * was read, another value (position left at the record's start) when none was, or -1 with an
 * exception. Checks in the order snapshot.py's loop does, so that both stop at one record. */
static int
scan_record(Scan *s, AclRun *run, PyObject *resolved, PyObject *uses, PyObject **record)
{
    const unsigned char *buf = s->buf;
    Py_ssize_t end = s->end, pos = s->pos;
    if (end - pos < 4) {
        return S_UNREADABLE;
    }
    int32_t path_len = be32(buf + pos);
    pos += 4;
    if (path_len < 0 || path_len > end - pos) {
        return S_UNREADABLE;
    }
    const unsigned char *path = buf + pos;
    pos += path_len;
    if (path_len == 1 && path[0] == '/') {
        s->pos = pos;
        return S_END;
    }
    if (end - pos < 4) {
        return S_UNREADABLE;
    }
    int32_t data_len = be32(buf + pos);
    pos += 4;
    const unsigned char *data = buf + pos;
    if (data_len == -1) {
        data_len = 0;
        data = NULL;
    }
    else if (data_len < 0 || data_len > end - pos) {
        return S_UNREADABLE;
    }
    pos += data_len;
    if (end - pos < ACL_AND_STAT) {
        return S_UNREADABLE;
    }
    const unsigned char *tail = buf + pos;
    pos += ACL_AND_STAT;

    PyObject *text = path_len ? PyUnicode_DecodeUTF8((const char *)path, path_len, "strict")
                              : PyUnicode_FromStringAndSize("/", 1);
    if (text == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            return -1;
        }
        PyErr_Clear();
        return S_UNREADABLE;
    }
    PyObject *acl = acl_lookup(run, be64(tail), resolved, uses);
    if (acl == NULL) {
        Py_DECREF(text);
        return PyErr_Occurred() ? -1 : S_NEW_ACL;
    }
    PyObject *bytes = data == NULL ? Py_NewRef(Py_None)
                                   : PyBytes_FromStringAndSize((const char *)data, data_len);
    if (bytes == NULL) {
        Py_DECREF(text);
        return -1;
    }
    *record = make_record(text, bytes, acl, tail + STAT_AT, &s->shared);
    if (*record == NULL) {
        return -1;
    }
    if (path_len < (int32_t)ZK_SUBTREE_LEN || memcmp(path, ZK_SUBTREE, ZK_SUBTREE_LEN) != 0) {
        s->digest += node_digest(path, path_len, data, data_len, tail + STAT_AT);
    }
    run->count++;
    s->pos = pos;
    return S_MORE;
}

/* The records from s->pos on into `records`, at most `limit`; a Stop, or -1 on failure. */
static int
scan_records(Scan *s, PyObject *resolved, PyObject *uses, Py_ssize_t limit, PyObject *records)
{
    AclRun run = {0, NULL, 0};
    int stop = S_MORE;
    for (Py_ssize_t n = 0; n < limit && stop == S_MORE; n++) {
        PyObject *record = NULL;
        stop = scan_record(s, &run, resolved, uses, &record);
        if (record != NULL) {
            int appended = PyList_Append(records, record);
            Py_DECREF(record);
            if (appended < 0) {
                stop = -1;
            }
        }
    }
    if (stop < 0) {
        Py_XDECREF(run.acl);
        return -1;
    }
    return acl_run_close(&run, uses) < 0 ? -1 : stop;
}

PyDoc_STRVAR(scan_doc,
"scan(buf, pos, resolved, uses, limit) -> (records, pos, digest, stop)\n\n"
"Read up to `limit` znode records of a snapshot from byte `pos` of `buf`, as\n"
"DataTree.restore_nodes takes them, each ACL id looked up in the dict `resolved` and\n"
"counted in the dict `uses`. `digest` is the sum of their digests modulo 2**64. `stop`\n"
"says why it stopped (MORE, END, UNREADABLE, NEW_ACL); `pos` is where to go on from:\n"
"after the end marker, or the start of the record that stopped it.");

static PyObject *
scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "scan() takes 5 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *resolved = args[2], *uses = args[3];
    if (!PyDict_CheckExact(resolved) || !PyDict_CheckExact(uses)) {
        PyErr_SetString(PyExc_TypeError, "scan() needs dicts for resolved and uses");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t limit = PyLong_AsSsize_t(args[4]);
    if ((pos == -1 || limit == -1) && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *records = NULL;
    if (pos < 0 || pos > view.len || limit < 1) {
        PyErr_SetString(PyExc_ValueError, "scan() needs 0 <= pos <= len(buf) and limit >= 1");
        goto done;
    }
    records = PyList_New(0);
    if (records == NULL) {
        goto done;
    }
    Scan s = {view.buf, view.len, pos, 0, {{0}, {NULL}, 0}};
    int stop = scan_records(&s, resolved, uses, limit, records);
    shared_longs_clear(&s.shared);
    if (stop < 0) {
        Py_CLEAR(records);
        goto done;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(NnNi)", records, s.pos, PyLong_FromUnsignedLongLong(s.digest), stop);
done:
    PyBuffer_Release(&view);
    return records;
}

static PyMethodDef snapscan_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {NULL, NULL, 0, NULL},
};

/* --- the module ---------------------------------------------------------------------------- */

static int
snapscan_exec(PyObject *module)
{
    crc_init();
    static const char *names[] = {"MORE", "END", "UNREADABLE", "NEW_ACL"};
    for (int stop = S_MORE; stop <= S_NEW_ACL; stop++) {
        if (PyModule_AddIntConstant(module, names[stop], stop) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyModuleDef_Slot snapscan_slots[] = {
    {Py_mod_exec, snapscan_exec},
    {0, NULL},
};

static struct PyModuleDef snapscan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "zkcompat.storage._snapscan",
    .m_doc = PyDoc_STR("Snapshot znode records read in C: scan()."),
    .m_size = 0,
    .m_methods = snapscan_methods,
    .m_slots = snapscan_slots,
};

PyMODINIT_FUNC
PyInit__snapscan(void)
{
    return PyModuleDef_Init(&snapscan_module);
}
