/** Types for build/generate-icons.mjs, for the unit test that checks the committed icons. */
export declare const STARTING_FRAMES: number;
export declare function encodePng(width: number, height: number, rgba: Uint8Array): Buffer;
/** Tray images keyed by file name in resources/icons. */
export declare function renderTrayIcons(): Map<string, Buffer>;
