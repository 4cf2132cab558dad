//! Courier's client cryptography, framework-free (no React), WebCrypto only.
export * from './encoding';
export * from './kdf';
export * from './wrap';
export * from './keys';
export * from './canonical';
export * from './envelope';
export * from './fingerprint';
export * from './recovery';
export * from './pins';
export * from './sha256';
export * from './attachment';
export * from './attachment-descriptor';
