// PLACEHOLDER: replaced by the CLI work.
export {};
