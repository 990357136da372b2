// PLACEHOLDER: replaced by the migrate work.
export {};
