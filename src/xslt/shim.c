/*
 * shim.c - the C side of the crate's xslt module (see src/xslt/mod.rs).
 *
 * Why C at all:
 *  1. libxml2/libxslt error handlers are C-variadic (`void f(void *, const char *, ...)`),
 *     and stable Rust cannot *define* a variadic function. The handlers below format the
 *     message with vsnprintf and hand the finished text to Rust.
 *  2. A few struct fields must be read (transform state, stylesheet error count, the
 *     internal DTD subset, xmlError fields). Reading them here, compiled against the
 *     installed headers, keeps the Rust side free of hand-copied struct layouts.
 *
 * Every function exported here is non-variadic and is declared in src/xslt/ffi.rs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

/* Implemented in Rust (src/xslt/errors.rs). */
extern void endpoints_xslt_error(void *ctx, const char *msg);
extern void endpoints_xslt_structured_error(void *ctx, int domain, int code, int level,
                                            const char *file, int line, int column,
                                            const char *message, const char *str1, int int1);

/* Generic (variadic) handler: format, then pass the text to Rust. */
static void endpoints_generic_error(void *ctx, const char *fmt, ...) {
    char small[1024];
    va_list ap, ap2;
    int n;

    if (fmt == NULL)
        return;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t) n < sizeof small) {
        endpoints_xslt_error(ctx, small);
    } else if (n >= 0) {
        char *big = malloc((size_t) n + 1);
        if (big != NULL) {
            vsnprintf(big, (size_t) n + 1, fmt, ap2);
            endpoints_xslt_error(ctx, big);
            free(big);
        } else {
            endpoints_xslt_error(ctx, small); /* truncated, better than nothing */
        }
    }
    va_end(ap2);
}

/* Debug output of libxslt: never wanted, never printed. */
static void endpoints_silent(void *ctx, const char *fmt, ...) {
    (void) ctx;
    (void) fmt;
}

/* Structured handler: unpack the xmlError and pass its fields to Rust. */
static void endpoints_structured_error(void *ctx, xmlErrorPtr err) {
    if (err == NULL)
        return;
    /* For parser errors libxml2 stores the column in int2. */
    endpoints_xslt_structured_error(ctx, err->domain, err->code, (int) err->level, err->file,
                                    err->line, err->int2, err->message, err->str1, err->int1);
}

/* The context of libxml2's generic channel: lets Rust tell it from libxslt's (context NULL). */
static char libxml_channel;

/* libxml2 2.9 keeps these two handlers per thread: call once on every thread. */
void endpoints_xslt_install_thread_handlers(void) {
    xmlSetGenericErrorFunc(&libxml_channel, endpoints_generic_error);
    xmlSetStructuredErrorFunc(NULL, endpoints_structured_error);
}

/* Process-wide handlers: libxslt's generic error/debug channels, and the defaults that
 * libxml2 copies into the state of threads created later. */
void endpoints_xslt_install_global_handlers(void) {
    xsltSetGenericErrorFunc(NULL, endpoints_generic_error);
    xsltSetGenericDebugFunc(NULL, endpoints_silent);
    xmlThrDefSetGenericErrorFunc(&libxml_channel, endpoints_generic_error);
    xmlThrDefSetStructuredErrorFunc(NULL, endpoints_structured_error);
    endpoints_xslt_install_thread_handlers();
}

/* Per transform context: runtime errors and xsl:message text. */
void endpoints_xslt_set_transform_error(xsltTransformContextPtr ctxt) {
    xsltSetTransformErrorFunc(ctxt, NULL, endpoints_generic_error);
}

/* 0 when the transformation ran without error (XSLT_STATE_OK). */
int endpoints_xslt_ctxt_failed(xsltTransformContextPtr ctxt) {
    return ctxt->state != XSLT_STATE_OK;
}

/* Number of errors found while compiling the stylesheet. */
int endpoints_xslt_style_errors(xsltStylesheetPtr style) {
    return style->errors;
}

/* xmlFree is a function-pointer variable in libxml2 2.9; call it from C. */
void endpoints_xslt_free(void *p) {
    if (p != NULL)
        xmlFree(p);
}

/* 1 when the document's internal DTD subset declares any (general or parameter) entity. */
int endpoints_xslt_declares_entities(xmlDocPtr doc) {
    xmlDtdPtr dtd;
    xmlNodePtr cur;

    if (doc == NULL)
        return 0;
    dtd = doc->intSubset;
    if (dtd == NULL)
        return 0;
    if (dtd->entities != NULL || dtd->pentities != NULL)
        return 1;
    for (cur = dtd->children; cur != NULL; cur = cur->next)
        if (cur->type == XML_ENTITY_DECL)
            return 1;
    return 0;
}

/* Local name of the root element, or NULL. Owned by the document. */
const xmlChar *endpoints_xslt_root_name(xmlDocPtr doc) {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    return root == NULL ? NULL : root->name;
}
