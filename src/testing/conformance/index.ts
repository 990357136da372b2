// PLACEHOLDER: replaced by the conformance kit work.
export {};
