// PLACEHOLDER: replaced by the middleware work (chaos).
export {};
