export * from './sections.js';
export * from './resolve.js';
export * from './render.js';
