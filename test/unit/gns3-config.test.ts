// Which GNS3 server lvslab uses: flag, environment, or the user's own GNS3 config files
// (samples in test/fixtures/gns3-config/, written as GNS3 2.2.59 and 3.0.6 write them).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverGns3Server, gns3ConfigPaths, loadGns3ConfigFiles, newestFirst, parseIni, resolveGns3Server, serverFromGuiConf, serverFromServerConf, type ConfigFile } from '../../src/gns3/config.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/gns3-config');
const sample = (name: string, path = `/home/u/.config/GNS3/x/${name}`): ConfigFile => ({ path, text: readFileSync(join(dir, name), 'utf8') });
const server22 = sample('gns3_server-2.2.conf', '/home/u/.config/GNS3/2.2/gns3_server.conf');
const server30 = sample('gns3_server-3.0.conf', '/home/u/.config/GNS3/3.0/gns3_server.conf');
const gui30 = sample('gns3_gui-3.0.conf', '/home/u/.config/GNS3/3.0/gns3_gui.conf');

describe('GNS3 config files', () => {
  it('parses configparser INI as GNS3 writes it (comments, spaces around =)', () => {
    const ini = parseIni(server22.text);
    expect(ini.Server).toMatchObject({ host: '0.0.0.0', port: '3080', auth: 'True', user: 'lab', password: 's3cret' });
  });

  it('2.2 server config: 0.0.0.0 is reached on 127.0.0.1, auth = True gives the basic-auth pair', () => {
    expect(serverFromServerConf(server22)).toEqual({ url: 'http://127.0.0.1:3080', user: 'lab', password: 's3cret', source: server22.path });
    expect(serverFromServerConf({ path: 'p', text: server22.text.replace('auth = True', 'auth = False') })).toEqual({ url: 'http://127.0.0.1:3080', source: 'p' });
  });

  it('3.0 server config: protocol https, and the default admin account', () => {
    expect(serverFromServerConf(server30)).toEqual({ url: 'https://gns3.example.net:3443', user: 'admin', password: 'adminpw', source: server30.path });
  });

  it('3.0 GUI config: the controller the GUI connects to, with its user', () => {
    expect(serverFromGuiConf(gui30)).toEqual({ url: 'http://10.0.0.5:3080', user: 'alice', password: 'guipw', source: gui30.path });
    expect(serverFromGuiConf({ path: 'p', text: '{"MainWindow": {}}' })).toBeUndefined();
    expect(serverFromGuiConf({ path: 'p', text: 'not json' })).toBeUndefined();
  });

  it('looks in the newest version directory first, the GUI before the server', () => {
    expect(newestFirst(['2.2', '3.0', '2.10', 'profiles', '2.9'])).toEqual(['3.0', '2.10', '2.9', '2.2']);
    expect(gns3ConfigPaths('/home/u', ['2.2', '3.0']).slice(0, 4)).toEqual([
      '/home/u/.config/GNS3/3.0/gns3_gui.conf',
      '/home/u/.config/GNS3/3.0/gns3_server.conf',
      '/home/u/.config/GNS3/2.2/gns3_gui.conf',
      '/home/u/.config/GNS3/2.2/gns3_server.conf',
    ]);
  });
});

describe('resolving the GNS3 server', () => {
  it('--gns3-url wins over LVSLAB_GNS3_URL, which wins over the files', () => {
    expect(resolveGns3Server({ flagUrl: 'http://flag:1', env: { LVSLAB_GNS3_URL: 'http://env:2' }, files: [gui30] }).url).toBe('http://flag:1');
    const env = resolveGns3Server({ env: { LVSLAB_GNS3_URL: 'http://env:2' }, files: [gui30] });
    expect(env).toEqual({ url: 'http://env:2', source: 'LVSLAB_GNS3_URL' });
  });

  it('a URL without a scheme is http; userinfo becomes the credentials and leaves the URL', () => {
    expect(resolveGns3Server({ flagUrl: 'lab:p%40ss@gns3.lan:3080', env: {}, files: [] })).toEqual({ url: 'http://gns3.lan:3080', user: 'lab', password: 'p@ss', source: '--gns3-url' });
  });

  it('a named local server takes its credentials from the config file of the same address', () => {
    expect(resolveGns3Server({ env: { LVSLAB_GNS3_URL: 'http://localhost:3080' }, files: [server22] })).toEqual({ url: 'http://localhost:3080', user: 'lab', password: 's3cret', source: 'LVSLAB_GNS3_URL' });
    expect(resolveGns3Server({ env: { LVSLAB_GNS3_URL: 'http://localhost:3081' }, files: [server22] }).user).toBeUndefined();
  });

  it('without a URL: the GUI\'s controller, then the server\'s own config, then GNS3\'s default', () => {
    expect(resolveGns3Server({ env: {}, files: [gui30, server30] })).toMatchObject({ url: 'http://10.0.0.5:3080', user: 'alice', source: gui30.path });
    expect(resolveGns3Server({ env: {}, files: [server22] })).toMatchObject({ url: 'http://127.0.0.1:3080', user: 'lab', source: server22.path });
    expect(resolveGns3Server({ env: {}, files: [] })).toMatchObject({ url: 'http://127.0.0.1:3080', source: expect.stringMatching(/default/) });
  });

  it('LVSLAB_GNS3_USER/PASSWORD override any other credentials', () => {
    expect(resolveGns3Server({ env: { LVSLAB_GNS3_USER: 'bob', LVSLAB_GNS3_PASSWORD: 'x' }, files: [gui30] })).toMatchObject({ user: 'bob', password: 'x' });
    expect(resolveGns3Server({ env: { LVSLAB_GNS3_PASSWORD: 'y' }, files: [gui30] })).toMatchObject({ user: 'alice', password: 'y' });
  });

  describe('reading a home directory', () => {
    const home = mkdtempSync(join(tmpdir(), 'lvslab-gns3-home-'));
    afterAll(() => rmSync(home, { recursive: true, force: true }));

    it('finds the files GNS3 keeps per version and skips missing ones', async () => {
      mkdirSync(join(home, '.config/GNS3/2.2'), { recursive: true });
      writeFileSync(join(home, '.config/GNS3/2.2/gns3_server.conf'), server22.text);
      const files = await loadGns3ConfigFiles(home);
      expect(files.map((f) => f.path)).toContain(join(home, '.config/GNS3/2.2/gns3_server.conf'));
      expect(await discoverGns3Server({ home, env: {} })).toEqual({ url: 'http://127.0.0.1:3080', user: 'lab', password: 's3cret', source: join(home, '.config/GNS3/2.2/gns3_server.conf') });
      expect((await discoverGns3Server({ home, env: {}, flagUrl: 'http://127.0.0.1:3080' })).password).toBe('s3cret');
    });
  });
});
