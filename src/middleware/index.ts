// PLACEHOLDER: middleware barrel, filled by the middleware work.
export {};
