export declare const OUTSIDE: string[];
export declare const BUNDLED: RegExp;
export declare const REQUIRE_SHIM: string;
