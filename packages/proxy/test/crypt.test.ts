/**
 * crypt(3) verification of userlist passwords: vectors made by Debian's mkpasswd (package whois),
 * then fresh hashes from mkpasswd for several passwords (salts chosen by mkpasswd).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { needs } from '../../../test/helpers/system.ts';
import { md5Crypt, shaCrypt, verifyCrypt } from '../src/acl/crypt.ts';

const PW = Buffer.from('p@ss w0rd');

test('crypt: MD5, SHA-256, SHA-512 (default and custom rounds) and bcrypt vectors from mkpasswd', () => {
  assert.equal(md5Crypt(PW, '$1$saltsalt$'), '$1$saltsalt$8VsZPu1eQAlblnxnDt75o.');
  assert.equal(shaCrypt(PW, '$5$saltsaltsaltsalt$'), '$5$saltsaltsaltsalt$Sphr.4laZiIvggPWd4TqvXfe7bA0ecg3oYbqmeFY693');
  const s512 =
    '$6$saltsaltsaltsalt$/cOuX9WuBotn8lCDpRouyGqBGOEbg1WVxgJUEDfe.mfPIdhEVqIkjPluY7zP.8E75kW/SsdNOmFIaYdCFZZsN0';
  assert.equal(shaCrypt(PW, s512), s512);
  const rounds =
    '$6$rounds=1000$saltsaltsaltsalt$.AYczPSyVGK2i/TiixP9Prii0izeiRrDKuT0kUDw6GiiSgZdAWCGlJef4cFZ44MHvvlGtj.EyFw9o4Xzyd82e0';
  assert.equal(shaCrypt(PW, rounds), rounds);
  assert.equal(verifyCrypt(PW, '$2b$05$abcdefghijklmnopqrstuuXI86om/9TCVqnHt7f0/oqVUMhJsiPda'), true);
  assert.equal(
    verifyCrypt(Buffer.from('p@ss w0rD'), '$2b$05$abcdefghijklmnopqrstuuXI86om/9TCVqnHt7f0/oqVUMhJsiPda'),
    false,
  );
  assert.equal(verifyCrypt(Buffer.from('p@ss w0rD'), s512), false);
  // a hash of a method not implemented never matches
  assert.equal(verifyCrypt(PW, 'abQ9KY.KfrYrc'), false);
});

test('crypt: hashes made by mkpasswd verify, wrong passwords do not', { skip: needs('mkpasswd') }, () => {
  const passwords = ['secret', '', 'x'.repeat(70), 'héllo wörld', 'a:b:c'];
  for (const m of ['md5crypt', 'sha256crypt', 'sha512crypt', 'bcrypt'])
    for (const pw of passwords) {
      const hash = execFileSync('mkpasswd', ['-m', m, '--stdin'], { input: pw }).toString().trim();
      assert.equal(verifyCrypt(Buffer.from(pw), hash), true, `${m} ${pw}`);
      assert.equal(verifyCrypt(Buffer.from(`${pw}!`), hash), false, `${m} ${pw}!`);
    }
  const custom = execFileSync('mkpasswd', ['-m', 'sha256crypt', '-R', '12345', '--stdin'], { input: 'pw' })
    .toString()
    .trim();
  assert.match(custom, /^\$5\$rounds=12345\$/);
  assert.equal(verifyCrypt(Buffer.from('pw'), custom), true);
});
