// A different, valid keypair for a user: what a server substituting keys would hand out.
import { webcrypto } from 'node:crypto';

const { subtle } = webcrypto;

export async function substituteKeys() {
  const enc = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const sig = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const encSpki = Buffer.from(await subtle.exportKey('spki', enc.publicKey));
  const sigSpki = Buffer.from(await subtle.exportKey('spki', sig.publicKey));
  const keySignature = Buffer.from(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, sig.privateKey, encSpki));
  return { encSpki, sigSpki, keySignature };
}
