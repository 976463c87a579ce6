/* jute._accel: the compiled engine behind jute.records.
 *
 * It knows no record of its own. jute/accel.py reads each record's shape off its construct
 * declaration (through jute.fastcodec.describe) and hands it here as nested tuples,
 * (kind, record class or None, children), which this module turns into a tree of Node
 * structs once. Decoder and Encoder objects then walk that tree for every message. So every
 * record is still declared once, in construct, and the Python engine in jute.fastcodec reads
 * the same shapes: the property tests hold all three engines to the same bytes.
 *
 * Jute's encoding, as BinaryOutputArchive writes it: integers and floats big-endian; a
 * boolean as one byte (any non-zero byte reads as true); ustring and buffer as an int32
 * length and the bytes, -1 for null; vector<T> as an int32 count and the elements, -1 for
 * null; a nested record as its fields in order, with no framing of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum Kind {
    K_BYTE, K_BOOL, K_INT, K_LONG, K_FLOAT, K_DOUBLE, K_USTRING, K_BUFFER, K_VECTOR, K_RECORD,
    K_COUNT
};

static const Py_ssize_t FIXED_SIZE[K_COUNT] = {1, 1, 4, 8, 4, 8, 0, 0, 0, 0};

typedef struct Node {
    int kind;
    PyTypeObject *cls;       /* a record's class; NULL for a frame, which decodes to a tuple */
    Py_ssize_t count;        /* a record's fields, or 1 (the element) for a vector */
    struct Node **children;
    Py_ssize_t min_size;     /* the fewest bytes an encoding can take */
} Node;

static PyObject *JuteError;

/* --- the shape tree ----------------------------------------------------------------------- */

static void
node_free(Node *node)
{
    if (node == NULL) {
        return;
    }
    for (Py_ssize_t i = 0; i < node->count; i++) {
        node_free(node->children[i]);
    }
    PyMem_Free(node->children);
    Py_XDECREF(node->cls);
    PyMem_Free(node);
}

/* Build a Node from (kind, cls or None, (children...)); NULL with an exception on a bad shape. */
static Node *
node_from_shape(PyObject *shape, int depth)
{
    int kind;
    PyObject *cls, *children;
    if (depth > 64) {
        PyErr_SetString(PyExc_ValueError, "shape nests too deep");
        return NULL;
    }
    if (!PyArg_ParseTuple(shape, "iOO!;a shape is (kind, class, children)", &kind, &cls,
                          &PyTuple_Type, &children)) {
        return NULL;
    }
    if (kind < 0 || kind >= K_COUNT) {
        PyErr_Format(PyExc_ValueError, "unknown kind %d", kind);
        return NULL;
    }
    Node *node = PyMem_Calloc(1, sizeof(Node));
    if (node == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    node->kind = kind;
    if (kind == K_RECORD && cls != Py_None) {
        if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)) {
            PyErr_SetString(PyExc_TypeError, "a record class must subclass tuple");
            goto fail;
        }
        Py_INCREF(cls);
        node->cls = (PyTypeObject *)cls;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(children);
    if ((kind == K_VECTOR && count != 1) || (kind < K_VECTOR && count != 0)) {
        PyErr_SetString(PyExc_ValueError, "wrong number of children for the kind");
        goto fail;
    }
    node->children = PyMem_Calloc(count ? count : 1, sizeof(Node *));
    if (node->children == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    node->count = count;
    for (Py_ssize_t i = 0; i < count; i++) {
        node->children[i] = node_from_shape(PyTuple_GET_ITEM(children, i), depth + 1);
        if (node->children[i] == NULL) {
            goto fail;
        }
    }
    if (kind == K_RECORD) {
        for (Py_ssize_t i = 0; i < count; i++) {
            node->min_size += node->children[i]->min_size;
        }
    } else {
        node->min_size = kind < K_USTRING ? FIXED_SIZE[kind] : 4;
    }
    return node;
fail:
    node_free(node);
    return NULL;
}

/* --- decoding ----------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *buf;
    Py_ssize_t size;
    Py_ssize_t off;
    PyObject *name;          /* the record or frame being decoded, for messages */
} Reader;

static uint32_t
load32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
load64(const unsigned char *p)
{
    return ((uint64_t)load32(p) << 32) | load32(p + 4);
}

static int
truncated(Reader *r)
{
    PyErr_Format(JuteError, "%U: truncated at offset %zd", r->name, r->off);
    return -1;
}

/* Read a length or count prefix: -1 stays -1 (null); anything below that is an error. */
static int
read_length(Reader *r, int32_t *length)
{
    if (r->size - r->off < 4) {
        return truncated(r);
    }
    *length = (int32_t)load32(r->buf + r->off);
    r->off += 4;
    if (*length < -1) {
        PyErr_Format(JuteError, "%U: negative length %d at offset %zd", r->name, (int)*length,
                     r->off);
        return -1;
    }
    return 0;
}

static PyObject *decode_node(Node *node, Reader *r);

static PyObject *
decode_bytes(Node *node, Reader *r)
{
    int32_t length;
    if (read_length(r, &length) < 0) {
        return NULL;
    }
    if (length == -1) {
        Py_RETURN_NONE;
    }
    if (length > r->size - r->off) {
        PyErr_Format(JuteError, "%U: length %d overruns the input at offset %zd", r->name,
                     (int)length, r->off);
        return NULL;
    }
    const char *start = (const char *)r->buf + r->off;
    r->off += length;
    if (node->kind == K_BUFFER) {
        return PyBytes_FromStringAndSize(start, length);
    }
    /* Invalid UTF-8 is replaced, as Java's new String(bytes, UTF_8) does. */
    return PyUnicode_DecodeUTF8(start, length, "replace");
}

static PyObject *
decode_vector(Node *node, Reader *r)
{
    int32_t count;
    if (read_length(r, &count) < 0) {
        return NULL;
    }
    if (count == -1) {
        Py_RETURN_NONE;
    }
    Py_ssize_t each = node->children[0]->min_size;
    if (each > 0 && count > (r->size - r->off) / each) {
        PyErr_Format(JuteError, "%U: count %d overruns the input at offset %zd", r->name,
                     (int)count, r->off);
        return NULL;
    }
    PyObject *list = PyList_New(count);
    if (list == NULL) {
        return NULL;
    }
    for (int32_t i = 0; i < count; i++) {
        PyObject *item = decode_node(node->children[0], r);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *
decode_record(Node *node, Reader *r)
{
    PyObject *record = node->cls == NULL ? PyTuple_New(node->count)
                                          : node->cls->tp_alloc(node->cls, node->count);
    if (record == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < node->count; i++) {
        PyObject *value = decode_node(node->children[i], r);
        if (value == NULL) {
            Py_DECREF(record);
            return NULL;
        }
        PyTuple_SET_ITEM(record, i, value);
    }
    return record;
}

static PyObject *
decode_node(Node *node, Reader *r)
{
    const unsigned char *p = r->buf + r->off;
    Py_ssize_t size = FIXED_SIZE[node->kind];
    if (size && r->size - r->off < size) {
        truncated(r);
        return NULL;
    }
    r->off += size;
    switch (node->kind) {
    case K_BYTE:
        return PyLong_FromLong((signed char)p[0]);
    case K_BOOL:
        return PyBool_FromLong(p[0] != 0);
    case K_INT:
        return PyLong_FromLong((int32_t)load32(p));
    case K_LONG:
        return PyLong_FromLongLong((int64_t)load64(p));
    case K_FLOAT:
        return PyFloat_FromDouble(PyFloat_Unpack4((const char *)p, 0));
    case K_DOUBLE:
        return PyFloat_FromDouble(PyFloat_Unpack8((const char *)p, 0));
    case K_USTRING:
    case K_BUFFER:
        return decode_bytes(node, r);
    case K_VECTOR:
        return decode_vector(node, r);
    default:
        return decode_record(node, r);
    }
}

/* --- encoding ----------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    Py_ssize_t len;
    Py_ssize_t cap;
    char inline_buf[512];    /* most messages fit here, so they need no allocation but one */
} Writer;

static char *
reserve(Writer *w, Py_ssize_t n)
{
    if (w->cap - w->len < n) {
        if (n > PY_SSIZE_T_MAX / 2 - w->len) {
            PyErr_NoMemory();
            return NULL;
        }
        Py_ssize_t cap = (w->len + n) * 2;
        char *grown = PyMem_Malloc(cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        memcpy(grown, w->buf, w->len);
        if (w->buf != w->inline_buf) {
            PyMem_Free(w->buf);
        }
        w->buf = grown;
        w->cap = cap;
    }
    char *at = w->buf + w->len;
    w->len += n;
    return at;
}

static void
store32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static int
write_int(Writer *w, PyObject *value, long long low, long long high, Py_ssize_t size)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || v < low || v > high) {
        PyErr_Format(PyExc_OverflowError, "%R does not fit in %zd bytes", value, size);
        return -1;
    }
    char *p = reserve(w, size);
    if (p == NULL) {
        return -1;
    }
    uint64_t u = (uint64_t)v;
    for (Py_ssize_t i = size - 1; i >= 0; i--) {
        p[i] = (char)u;
        u >>= 8;
    }
    return 0;
}

static int
write_length(Writer *w, Py_ssize_t length)
{
    if (length > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "longer than an int32 length can say");
        return -1;
    }
    char *p = reserve(w, 4);
    if (p == NULL) {
        return -1;
    }
    store32(p, (uint32_t)(int32_t)length);
    return 0;
}

static int
write_raw(Writer *w, const void *data, Py_ssize_t length)
{
    if (write_length(w, length) < 0) {
        return -1;
    }
    char *p = reserve(w, length);
    if (p == NULL) {
        return -1;
    }
    memcpy(p, data, length);
    return 0;
}

static int encode_node(Node *node, PyObject *value, Writer *w);

static int
encode_bytes(Node *node, PyObject *value, Writer *w)
{
    if (node->kind == K_USTRING) {
        if (!PyUnicode_Check(value)) {
            PyErr_Format(PyExc_TypeError, "a ustring must be str, not %.100s",
                         Py_TYPE(value)->tp_name);
            return -1;
        }
        Py_ssize_t length;
        const char *utf8 = PyUnicode_AsUTF8AndSize(value, &length);
        return utf8 == NULL ? -1 : write_raw(w, utf8, length);
    }
    if (PyBytes_CheckExact(value)) {
        return write_raw(w, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value));
    }
    Py_buffer view;
    if (PyObject_GetBuffer(value, &view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    int result = write_raw(w, view.buf, view.len);
    PyBuffer_Release(&view);
    return result;
}

/* The items of a record or vector value: a tuple or list as it is, any other sequence copied
 * once. Iterators are refused, since a vector's count is written before its elements. */
static PyObject *
sequence_of(PyObject *value)
{
    if (PyTuple_Check(value) || PyList_Check(value)) {
        Py_INCREF(value);
        return value;
    }
    if (!PySequence_Check(value)) {
        PyErr_Format(PyExc_TypeError, "expected a sequence, not %.100s", Py_TYPE(value)->tp_name);
        return NULL;
    }
    return PySequence_Fast(value, "expected a sequence");
}

static int
encode_items(Node *node, PyObject *items, Writer *w)
{
    Py_ssize_t count = PySequence_Fast_GET_SIZE(items);
    PyObject **item = PySequence_Fast_ITEMS(items);
    if (node->kind == K_RECORD) {
        if (count != node->count) {
            PyErr_Format(PyExc_ValueError, "expected %zd fields, got %zd", node->count, count);
            return -1;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            if (encode_node(node->children[i], item[i], w) < 0) {
                return -1;
            }
        }
        return 0;
    }
    if (write_length(w, count) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (encode_node(node->children[0], item[i], w) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
encode_node(Node *node, PyObject *value, Writer *w)
{
    if (value == Py_None && node->kind >= K_USTRING && node->kind <= K_VECTOR) {
        return write_length(w, -1);
    }
    switch (node->kind) {
    case K_BYTE:
        return write_int(w, value, INT8_MIN, INT8_MAX, 1);
    case K_INT:
        return write_int(w, value, INT32_MIN, INT32_MAX, 4);
    case K_LONG:
        return write_int(w, value, INT64_MIN, INT64_MAX, 8);
    case K_BOOL: {
        int truth = PyObject_IsTrue(value);
        char *p = truth < 0 ? NULL : reserve(w, 1);
        if (p == NULL) {
            return -1;
        }
        *p = (char)truth;
        return 0;
    }
    case K_FLOAT:
    case K_DOUBLE: {
        double v = PyFloat_AsDouble(value);
        if (v == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        int wide = node->kind == K_DOUBLE;
        char *p = reserve(w, wide ? 8 : 4);
        if (p == NULL) {
            return -1;
        }
        return wide ? PyFloat_Pack8(v, p, 0) : PyFloat_Pack4(v, p, 0);
    }
    case K_USTRING:
    case K_BUFFER:
        return encode_bytes(node, value, w);
    default: {
        PyObject *items = sequence_of(value);
        if (items == NULL) {
            return -1;
        }
        int result = encode_items(node, items, w);
        Py_DECREF(items);
        return result;
    }
    }
}

/* --- Decoder and Encoder objects ---------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Node *root;
    PyObject *name;
    int framed;              /* Encoder only: prefix the bytes with their int32 length */
} Codec;

static int
codec_init_common(Codec *self, PyObject *shape, PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "name must be str");
        return -1;
    }
    Node *root = node_from_shape(shape, 0);
    if (root == NULL) {
        return -1;
    }
    if (root->kind != K_RECORD) {
        node_free(root);
        PyErr_SetString(PyExc_ValueError, "the root of a shape must be a record");
        return -1;
    }
    node_free(self->root);
    self->root = root;
    Py_INCREF(name);
    Py_XSETREF(self->name, name);
    return 0;
}

static void
codec_dealloc(Codec *self)
{
    node_free(self->root);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
codec_repr(Codec *self)
{
    return PyUnicode_FromFormat("<%s %U>", Py_TYPE(self)->tp_name, self->name);
}

/* decoder(buf, off=0) -> (value, next_off) */
static PyObject *
decoder_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Codec *self = (Codec *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames)) {
        PyErr_SetString(PyExc_TypeError, "decode takes no keyword arguments");
        return NULL;
    }
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "decode(buf, off=0)");
        return NULL;
    }
    Py_ssize_t off = 0;
    if (nargs == 2) {
        off = PyNumber_AsSsize_t(args[1], PyExc_OverflowError);
        if (off == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    Reader reader = {view.buf, view.len, off, self->name};
    if (off < 0 || off > view.len) {
        PyErr_Format(JuteError, "%U: offset %zd is outside the input", self->name, off);
    } else {
        PyObject *value = decode_node(self->root, &reader);
        if (value != NULL) {
            result = Py_BuildValue("(Nn)", value, reader.off);
        }
    }
    PyBuffer_Release(&view);
    return result;
}

/* Make any failure to encode a JuteError that names the record and the value, with the
 * original exception as its cause. */
static void
encode_failed(Codec *self, PyObject *value)
{
    PyObject *type, *cause, *traceback;
    PyErr_Fetch(&type, &cause, &traceback);
    PyErr_NormalizeException(&type, &cause, &traceback);
    if (traceback != NULL) {
        PyException_SetTraceback(cause, traceback);
    }
    PyErr_Format(JuteError, "%U: cannot encode %R: %S", self->name, value, cause);
    PyObject *error_type, *error, *error_traceback;
    PyErr_Fetch(&error_type, &error, &error_traceback);
    PyErr_NormalizeException(&error_type, &error, &error_traceback);
    PyException_SetCause(error, cause);  /* steals the reference to cause */
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    PyErr_Restore(error_type, error, error_traceback);
}

/* encoder(value) -> bytes; bound to a record it is the record's encode() method. */
static PyObject *
encoder_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Codec *self = (Codec *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "encode takes exactly one record");
        return NULL;
    }
    Writer w;
    w.buf = w.inline_buf;
    w.len = 0;
    w.cap = sizeof(w.inline_buf);
    if (self->framed) {
        w.len = 4;
    }
    PyObject *result = NULL;
    if (encode_node(self->root, args[0], &w) < 0) {
        encode_failed(self, args[0]);
    } else if (self->framed && w.len - 4 > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "longer than an int32 length can say");
        encode_failed(self, args[0]);
    } else {
        if (self->framed) {
            store32(w.buf, (uint32_t)(w.len - 4));
        }
        result = PyBytes_FromStringAndSize(w.buf, w.len);
    }
    if (w.buf != w.inline_buf) {
        PyMem_Free(w.buf);
    }
    return result;
}

static int
decoder_init(Codec *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"shape", "name", NULL};
    PyObject *shape, *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!U:Decoder", keywords, &PyTuple_Type, &shape,
                                     &name)) {
        return -1;
    }
    self->vectorcall = decoder_call;
    return codec_init_common(self, shape, name);
}

static int
encoder_init(Codec *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"shape", "name", "framed", NULL};
    PyObject *shape, *name;
    int framed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!U|p:Encoder", keywords, &PyTuple_Type, &shape,
                                     &name, &framed)) {
        return -1;
    }
    self->vectorcall = encoder_call;
    self->framed = framed;
    return codec_init_common(self, shape, name);
}

/* An Encoder on a record class binds like a function, so record.encode() passes the record. */
static PyObject *
encoder_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jute._accel.Decoder",
    .tp_doc = PyDoc_STR("Decoder(shape, name): decoder(buf, off=0) -> (value, next_off)"),
    .tp_basicsize = sizeof(Codec),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)decoder_init,
    .tp_dealloc = (destructor)codec_dealloc,
    .tp_repr = (reprfunc)codec_repr,
    .tp_vectorcall_offset = offsetof(Codec, vectorcall),
    .tp_call = PyVectorcall_Call,
};

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jute._accel.Encoder",
    .tp_doc = PyDoc_STR("Encoder(shape, name, framed=False): encoder(value) -> bytes"),
    .tp_basicsize = sizeof(Codec),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)encoder_init,
    .tp_dealloc = (destructor)codec_dealloc,
    .tp_repr = (reprfunc)codec_repr,
    .tp_descr_get = encoder_get,
    .tp_vectorcall_offset = offsetof(Codec, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* --- record constructors ------------------------------------------------------------------ */

static PyObject *FIELDS_NAME;  /* "_fields" */

/* new_record(cls, *args, **kwargs): what a named tuple's own __new__ does (fields by position
 * or by name, each exactly once), without running a Python frame for every record built.
 * jute.accel installs it as each record class's __new__ (a staticmethod), which keeps the
 * class's tp_new the generic slot, so tuple.__new__(cls, ...) (_make, copy) still works. */
static PyObject *
new_record(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs < 1 || !PyType_Check(args[0]) ||
        !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "new_record(cls, ...) needs a tuple subclass");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    PyObject *fields = PyObject_GetAttr(args[0], FIELDS_NAME);
    if (fields == NULL) {
        return NULL;
    }
    PyObject *record = NULL;
    Py_ssize_t count = PyTuple_Check(fields) ? PyTuple_GET_SIZE(fields) : -1;
    Py_ssize_t given = nargs - 1;
    Py_ssize_t named = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (count < 0) {
        PyErr_Format(PyExc_TypeError, "%s._fields is not a tuple", type->tp_name);
        goto done;
    }
    if (given > count) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments but %zd were given",
                     type->tp_name, count, given);
        goto done;
    }
    record = type->tp_alloc(type, count);
    if (record == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < given; i++) {
        Py_INCREF(args[1 + i]);
        PyTuple_SET_ITEM(record, i, args[1 + i]);
    }
    for (Py_ssize_t k = 0; k < named; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t i = 0;
        while (i < count && PyUnicode_Compare(PyTuple_GET_ITEM(fields, i), key) != 0) {
            i++;
        }
        if (i == count || PyTuple_GET_ITEM(record, i) != NULL) {
            PyErr_Format(PyExc_TypeError, i == count
                                              ? "%s() got an unexpected keyword argument %R"
                                              : "%s() got multiple values for argument %R",
                         type->tp_name, key);
            Py_CLEAR(record);
            goto done;
        }
        Py_INCREF(args[nargs + k]);
        PyTuple_SET_ITEM(record, i, args[nargs + k]);
    }
    for (Py_ssize_t i = given; i < count; i++) {
        if (PyTuple_GET_ITEM(record, i) == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument %R", type->tp_name,
                         PyTuple_GET_ITEM(fields, i));
            Py_CLEAR(record);
            goto done;
        }
    }
done:
    Py_DECREF(fields);
    return record;
}

static PyMethodDef accel_functions[] = {
    {"new_record", (PyCFunction)(void (*)(void))new_record, METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("new_record(cls, *args, **kwargs): a record of cls, as its __new__ builds it")},
    {NULL, NULL, 0, NULL},
};

/* --- the module --------------------------------------------------------------------------- */

static int
accel_exec(PyObject *module)
{
    PyObject *errors = PyImport_ImportModule("jute.errors");
    if (errors == NULL) {
        return -1;
    }
    JuteError = PyObject_GetAttrString(errors, "JuteError");
    Py_DECREF(errors);
    FIELDS_NAME = PyUnicode_InternFromString("_fields");
    if (FIELDS_NAME == NULL) {
        return -1;
    }
    if (JuteError == NULL || PyType_Ready(&DecoderType) < 0 || PyType_Ready(&EncoderType) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "Decoder", (PyObject *)&DecoderType) < 0 ||
        PyModule_AddObjectRef(module, "Encoder", (PyObject *)&EncoderType) < 0) {
        return -1;
    }
    static const char *names[K_COUNT] = {"BYTE", "BOOL", "INT", "LONG", "FLOAT",
                                         "DOUBLE", "USTRING", "BUFFER", "VECTOR", "RECORD"};
    for (int kind = 0; kind < K_COUNT; kind++) {
        if (PyModule_AddIntConstant(module, names[kind], kind) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyModuleDef_Slot accel_slots[] = {
    {Py_mod_exec, accel_exec},
    {0, NULL},
};

static struct PyModuleDef accel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "jute._accel",
    .m_doc = PyDoc_STR("The compiled Jute engine: Decoder and Encoder over record shapes."),
    .m_size = 0,
    .m_methods = accel_functions,
    .m_slots = accel_slots,
};

PyMODINIT_FUNC
PyInit__accel(void)
{
    return PyModuleDef_Init(&accel_module);
}
