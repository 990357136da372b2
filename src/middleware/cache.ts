// PLACEHOLDER: replaced by the middleware work.
export {};
