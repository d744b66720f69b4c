//! Hand-written declarations of the libxml2 2.9 / libxslt 1.1 / libexslt functions this module calls, and of the
//! C shim (`shim.c`). Only functions and opaque pointers: no struct layouts are copied here (the shim reads the few
//! fields we need, compiled against the installed headers). Linking is set up by `build.rs` via pkg-config.

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_char, c_int, c_long, c_uchar, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// `xmlChar` is UTF-8 bytes.
pub type xmlChar = c_uchar;

macro_rules! opaque {
    ($($name:ident),* $(,)?) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque!(
    xmlDoc,
    xmlBuffer,
    xmlSaveCtxt,
    xmlParserCtxt,
    xmlParserInput,
    xmlXPathParserContext,
    xmlXPathObject,
    xsltStylesheet,
    xsltTransformContext,
    xsltSecurityPrefs,
);

pub type xmlExternalEntityLoader = unsafe extern "C" fn(
    url: *const c_char,
    id: *const c_char,
    ctxt: *mut xmlParserCtxt,
) -> *mut xmlParserInput;
pub type xmlXPathFunction = unsafe extern "C" fn(ctxt: *mut xmlXPathParserContext, nargs: c_int);
pub type xsltSecurityCheck = unsafe extern "C" fn(
    sec: *mut xsltSecurityPrefs,
    ctxt: *mut xsltTransformContext,
    value: *const c_char,
) -> c_int;

// parser.h: xmlParserOption
pub const XML_PARSE_NONET: c_int = 1 << 11;
pub const XML_PARSE_NOCDATA: c_int = 1 << 14;
// HTMLparser.h: htmlParserOption
pub const HTML_PARSE_RECOVER: c_int = 1 << 0;
pub const HTML_PARSE_NOERROR: c_int = 1 << 5;
pub const HTML_PARSE_NOWARNING: c_int = 1 << 6;
pub const HTML_PARSE_NONET: c_int = 1 << 11;
// xmlsave.h: xmlSaveOption
pub const XML_SAVE_NO_DECL: c_int = 1 << 1;
pub const XML_SAVE_AS_XML: c_int = 1 << 5;
// xpath.h: xmlXPathError
pub const XPATH_INVALID_OPERAND: c_int = 10;
pub const XPATH_INVALID_ARITY: c_int = 12;
// xmlerror.h: xmlErrorDomain / xmlErrorLevel
pub const XML_FROM_XPATH: c_int = 12;
pub const XML_ERR_WARNING: c_int = 1;
// security.h: xsltSecurityOption
pub const XSLT_SECPREF_READ_FILE: c_int = 1;
pub const XSLT_SECPREF_WRITE_FILE: c_int = 2;
pub const XSLT_SECPREF_CREATE_DIRECTORY: c_int = 3;
pub const XSLT_SECPREF_READ_NETWORK: c_int = 4;
pub const XSLT_SECPREF_WRITE_NETWORK: c_int = 5;

extern "C" {
    // ---- libxml2 ----
    pub fn xmlMemSetup(
        free: unsafe extern "C" fn(*mut c_void),
        malloc: unsafe extern "C" fn(usize) -> *mut c_void,
        realloc: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
        strdup: unsafe extern "C" fn(*const c_char) -> *mut c_char,
    ) -> c_int;
    #[cfg(test)]
    pub fn xmlMemGet(
        free: *mut Option<unsafe extern "C" fn(*mut c_void)>,
        malloc: *mut Option<unsafe extern "C" fn(usize) -> *mut c_void>,
        realloc: *mut Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
        strdup: *mut Option<unsafe extern "C" fn(*const c_char) -> *mut c_char>,
    ) -> c_int;
    pub fn xmlInitParser();
    pub fn xmlInitializeCatalog();
    pub fn xmlCatalogSetDefaults(allow: c_int);
    pub fn xmlReadMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut xmlDoc;
    pub fn htmlReadMemory(
        buffer: *const c_char,
        size: c_int,
        url: *const c_char,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut xmlDoc;
    pub fn xmlFreeDoc(doc: *mut xmlDoc);
    pub fn xmlCopyDoc(doc: *mut xmlDoc, recursive: c_int) -> *mut xmlDoc;
    pub fn xmlDocGetRootElement(doc: *const xmlDoc) -> *mut c_void;
    pub fn xmlXPathOrderDocElems(doc: *mut xmlDoc) -> c_long;

    pub fn xmlBufferCreate() -> *mut xmlBuffer;
    pub fn xmlBufferFree(buf: *mut xmlBuffer);
    pub fn xmlBufferContent(buf: *const xmlBuffer) -> *const xmlChar;
    pub fn xmlBufferLength(buf: *const xmlBuffer) -> c_int;
    pub fn xmlSaveToBuffer(
        buffer: *mut xmlBuffer,
        encoding: *const c_char,
        options: c_int,
    ) -> *mut xmlSaveCtxt;
    pub fn xmlSaveDoc(ctxt: *mut xmlSaveCtxt, doc: *mut xmlDoc) -> c_long;
    pub fn xmlSaveTree(ctxt: *mut xmlSaveCtxt, node: *mut c_void) -> c_long;
    pub fn xmlSaveClose(ctxt: *mut xmlSaveCtxt) -> c_int;

    pub fn xmlGetExternalEntityLoader() -> Option<xmlExternalEntityLoader>;
    pub fn xmlSetExternalEntityLoader(f: Option<xmlExternalEntityLoader>);

    pub fn xmlXPathPopString(ctxt: *mut xmlXPathParserContext) -> *mut xmlChar;
    pub fn xmlXPathNewString(val: *const xmlChar) -> *mut xmlXPathObject;
    pub fn valuePush(ctxt: *mut xmlXPathParserContext, value: *mut xmlXPathObject) -> c_int;
    pub fn xmlXPathErr(ctxt: *mut xmlXPathParserContext, error: c_int);

    // ---- libxslt ----
    pub fn xsltInit();
    pub fn xsltParseStylesheetFile(filename: *const xmlChar) -> *mut xsltStylesheet;
    pub fn xsltFreeStylesheet(style: *mut xsltStylesheet);
    pub fn xsltNewTransformContext(
        style: *mut xsltStylesheet,
        doc: *mut xmlDoc,
    ) -> *mut xsltTransformContext;
    pub fn xsltFreeTransformContext(ctxt: *mut xsltTransformContext);
    pub fn xsltSetCtxtParseOptions(ctxt: *mut xsltTransformContext, options: c_int) -> c_int;
    pub fn xsltQuoteUserParams(
        ctxt: *mut xsltTransformContext,
        params: *const *const c_char,
    ) -> c_int;
    pub fn xsltApplyStylesheetUser(
        style: *mut xsltStylesheet,
        doc: *mut xmlDoc,
        params: *const *const c_char,
        output: *const c_char,
        profile: *mut c_void,
        userCtxt: *mut xsltTransformContext,
    ) -> *mut xmlDoc;
    pub fn xsltSaveResultToString(
        doc_txt_ptr: *mut *mut xmlChar,
        doc_txt_len: *mut c_int,
        result: *mut xmlDoc,
        style: *mut xsltStylesheet,
    ) -> c_int;
    pub fn xsltRegisterExtModuleFunction(
        name: *const xmlChar,
        uri: *const xmlChar,
        function: Option<xmlXPathFunction>,
    ) -> c_int;

    pub fn xsltNewSecurityPrefs() -> *mut xsltSecurityPrefs;
    pub fn xsltFreeSecurityPrefs(sec: *mut xsltSecurityPrefs);
    pub fn xsltSetSecurityPrefs(
        sec: *mut xsltSecurityPrefs,
        option: c_int,
        func: Option<xsltSecurityCheck>,
    ) -> c_int;
    pub fn xsltSetCtxtSecurityPrefs(
        sec: *mut xsltSecurityPrefs,
        ctxt: *mut xsltTransformContext,
    ) -> c_int;
    pub fn xsltSecurityForbid(
        sec: *mut xsltSecurityPrefs,
        ctxt: *mut xsltTransformContext,
        value: *const c_char,
    ) -> c_int;

    // ---- libexslt ----
    pub fn exsltRegisterAll();

    // ---- shim.c ----
    pub fn endpoints_xslt_install_thread_handlers();
    pub fn endpoints_xslt_install_global_handlers();
    pub fn endpoints_xslt_set_transform_error(ctxt: *mut xsltTransformContext);
    pub fn endpoints_xslt_ctxt_failed(ctxt: *mut xsltTransformContext) -> c_int;
    pub fn endpoints_xslt_style_errors(style: *mut xsltStylesheet) -> c_int;
    pub fn endpoints_xslt_free(p: *mut c_void);
    pub fn endpoints_xslt_declares_entities(doc: *mut xmlDoc) -> c_int;
    pub fn endpoints_xslt_root_name(doc: *mut xmlDoc) -> *const xmlChar;
}
