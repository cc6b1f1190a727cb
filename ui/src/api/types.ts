// Plain shapes shared by the API layer (kept free of browser globals so Node tests can import the pure modules).
export type ApiParams = Record<string, string | number | boolean | undefined>;
export type ApiObject = Record<string, unknown>;
