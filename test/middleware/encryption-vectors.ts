/**
 * Objects written by the encryption middleware before the streaming layer was
 * rewritten (session 2), with the fixed master key below: today's code must
 * still read them byte for byte. Plaintext byte `i` is `(7 i + 3) mod 256`;
 * key id `k1`; chunk size 1 KiB; metadata marker `v1;h=84;c=1024`.
 */

/** The master key of every vector: bytes 0, 1, ..., 31. */
export const VECTOR_MASTER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

/** The plaintext of a vector of `size` bytes. */
export function vectorPlaintext(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) & 255));
}

/** One stored object: its plaintext size, tenant, and the stored bytes in base64. */
export interface EncryptionVector {
  name: string;
  size: number;
  tenant: string | undefined;
  stored: string;
}

export const ENCRYPTION_VECTORS: EncryptionVector[] = [
  {
    name: 'partial',
    size: 2500,
    tenant: undefined,
    stored:
      'U1RXRQEAAFQAAAQASdqjocm7mQJrMQA8KLPcxnUodPpousyIRYkz/DmM5AnopfbpvQi3MvFefZ2j6erHt2aJZjD0VT/A5J60' +
      'FIRBpzM5qL971l6YNtc2S2mC7eNWb15/6DKF34EeqbiH2FQTCzVBnJVf9Bauo6D6psGrKc6E/0dTdfmFA64xbZkDnW7kj6YJ' +
      'z2+FvVuoWwzksym0Bb+IfXWVqBEYeef8PyybrSCbM10TO0KFvqq0TmGDTTGGqRkXktGfvFoH/CEgUeErsCODdau4vEQMPsG6' +
      'sg6dvw6kv4jRSjEYKqEKInVhOF1lyEmGgUCbt+QmfG+02mH5YU3zN9+0E8ooGXMdVGBMVo4SLJrK14lVVIynFg4iVQMq+176' +
      'lXSHPDualixiVB9yMnPaDsZx+pL8gwxuQBIWnANwJJ7zS6Ou62n4nBSi3YM8GdUUwlg6nBCEsKhkCAQgDvt2LxIY8xU0hgjL' +
      '1Lw34kTyj2ZBhMEe22ROKj/PzPpFuUiE3rK1Sjx4FxT5NUciowGAsiN1mn1VkAwuaJW1D6NCxaRLu/lK3iURpodUNtu/suj1' +
      'dF4U7IufHhK3/ZKJ6YCODPhSzfQBTMyUBgpXtdTTGI6fJJo3p41Sfa17ZrXu85VR0VRlnS4Bqlla5f6VXlCwevLGEwyzGZlW' +
      'NwwWmlHcOyphmTFPY1ksaLar5XiYhDe5il1CrLN4XZ7d4FZMrCYPpWjBlvnZ18WFvM/yAxYQZ9VSSIQrKrESBPEv1iosEFpC' +
      '2nzpi3ZlEJFdye3l1o/0980KfEKj2LWhTpE3hDYxhwkCudBSykONc+C0EB8WOb9cdtdy2WeyDFaFC7F5YfwnMaKzLR78B9I8' +
      'C2JSzVgA3BXylzdgGWidWU4Cd6M6smgpJvAHEESjgBaZjmXz/PEGLQjUTcqF92GJycg0mDlgSDntRGhLW1w1sONVg8yectGD' +
      'ZgGKgTMauaS7gBsBC217v+Mplwg5QESPxNQjXI9GZIAg5eGNJXNEAgylbjowc8TCNUgWGuZxBeDcqI7UAE8a6WicAEi3kaEk' +
      'JLaj8IyvvOS3mwY6zGX1Lv/jeu/Bnt/+iWCOU3GrCZ+fQc9jkQpxd7UrJOSXVPrpCn3C4vghedi0ZZR+T3DkUoiOnPTkks/5' +
      'X++4BrbDiChxGES1LVsCskgfqUEKZiHrGDTaU0etqvOLBpLyyq99Rbt3enQnrsUn4sKLsXrAASNww7oJqdf0C87E3RdcT3GB' +
      'jb8m4lHx1/OYNc8G+UIHv3i5zE2cGrGfgmKkM2F9pAWhBuop+wHZ/ut0qBNk6QiDJHtmwt6IW8mgssA5zIZa4Gjs9L6bNRHa' +
      'E7nhWboDMQrf9NgCzMxtWaXLkUH29pGp0MwzenXQaLrNSm3M9umcTZlWpDErXCCZjBaS0P7JNMl5UO8xXCPdeppEqCmTrJ7n' +
      'tAi26xP2804hAKkRq0TAocCm+ujZ7aGpB4CPJQpDJ75b9NOP0cx6VsqUmD0tH9TzkkGFdmhcFfwpuB6UeSs85d1Ae02HvgNZ' +
      'cOdgZc6w0qC2J/4cq9X3yPo3LP4wJlEEBnKnhWmmYf/op9krDjV1l0xbPZOa3d0gDukOMvAh0ZMSxoHqvSIKYnoZPjLFVXzH' +
      'ru6geu1OQ/zCcTdNDx1pPcr8s9tVYD4IXtvoO3W0I7tUeVMOXMRw9ks+BS5ZIHOXkZKvUqngZUrQnCOxeJ9jzI4n4Cdh4C/H' +
      'yu2KoMw3k8J3wKx7B2U8oq1e7M3Zc/T2i1+PTlzjRIijf4fcEgX8qjtadqZu3rWJHnyHUGLocs8CIe1SPR8G+q1WzIJi3cB4' +
      'oQGY258ZMrZY24FFZtj9qwrvVtXFKcV/7GrbmD6YSUB5rudMVyHkiGF7w3CJkauY2xtbsip935LFxKVawnVrkhNu5iQIdalv' +
      'lPdt5I9yRWjpHUxNuj7YSDdAzlLKLg+p47ZOibxOyCkA3ZQc/TPdd5CaE9LDDfdbQ5E8w7M/uLkO7fVFkZY0cfb2UdukCdvf' +
      'AwiS8QWJGXZsvpV1LTPuMDcU0C/zVH6WafdomTubl3jZphfD6NXUxQXPq+dSzwCu3fgxdI9itNWfraXCeKyWKjCB+8p3+oF+' +
      'BtlXE2dWrht8rilIPqp+8Xbk/XOG71ktwCXFHUueH/D83bcUszyZJgf3lCP1tP7Q5nWeiz78lvHSUTw4MQQO8nMlzzwfv2iC' +
      'mX5MD3/Dh35MEGVRHhEOjp2p1p9s5CuvxDSAqwFeuQGZrys4pQG3V+GU6KOKcz6nbckXklwcPs4wKw3hXNa2/Kt9eMoe3vwk' +
      'iM2N3c6I/TbSIHLxjjDlMwK0EiYwhiat9/DfnKL1c74eGylnGSBT1irH8g9Y6PztzPJLcAknRCRX99fT+n5XI4ik5gf1oJBt' +
      'KvjP87DJ72rNdXZkZ45MrQuXnUx1QYo/E/XwK95OVfIbzbiIucevO0hj1ojpzLbi2+0O4FAhUa/EUa2RapWrb5W/RdfzBXAq' +
      'r8ve6qr3B3cqTrGA+xfpk+RHRoQ8mSH2Q4+2H0jHpRTjEme+A+Z+zSBpMOc/HcMZMpT/ZNG2u3ojG8YCUaXNtWaR2gXvo4Ts' +
      'OlwSj3Hs8scAZ/+4xCpiIKKl62CxIQVr+wcUykf7zAJ0NynWrPFW29wTdEYx8RhpOIL5fyD34fcMaEkMs39iDiXMyJNoZV3W' +
      'rLUkUwXu5z5ffPg2Qq3GLe2uDzdEu5ObEsn5PD8V+n/Bei6qm4eztM4ql17fF6O80+y0IC6zx9+sGSgSmEW53nvbT6vlFySY' +
      'PXufzvh8uwy0C/4pe4lRIxXvtAmc2jepPd2tvHJpoSZTajggFZOv5/Z+Z3UaXhbzyXgEDEkaO4grWBxTwJpbxFo+NB9aMo1H' +
      'A/lZFnIGthvOiEBI5QNAZCqyMAPjh99sOBNVqvC+pN55rzzxc9o/fJmwlnCeLiJeun5AjRCJo9RvgV40mU8dzEIiGMHShhka' +
      'hUKzzT7ihcmV3tnrSs9htCtRKsdkHYl2LFCv1Ep6/cNSGx44YlfYrsxoLbbAinatLPgNPBwb3kQB7KBQbuXNMpQ9/AmFWzua' +
      'XZn8oNlUR3ayijbIsX+tqDK8LyhIsbBTMs4oMwcvhc/we79NIQzm1TGzuvSxH0TtAlsm3JK7Ktr/0gVWK2rQAEFjDFP3rZOq' +
      'qTlCU2mAX63VFmgiAsbqa4dUimXUndTrHgDZAit/EiWYOVGfNotLAvxwpT7y75rKblhCu6l9dVMXKgZD23hek/Sw7DHkScKz' +
      'MKaMwDmK82NtNu9umOO5KIIT+EoU4xbZsn39oW87QFWxvPgTQJSm0vQhXIoklu6FEtLuYLMv6e2+HgYG71Kby2wJXRv8HvJe' +
      'pRl142kH6O1urYE/dbRoa35wYB32MMG7kFyeo46IWd29xnZJ3nSv6WU68LGw+VOIOd7NFBzmQ84uYU8aFzQTkY27+IrV00o4' +
      'up6lCf86QS/4tJOsXKBYdEjFHoqm2VCMw30LrsMn+dkO/L6VO0709g==',
  },
  {
    name: 'aligned',
    size: 2048,
    tenant: 'acme',
    stored:
      'U1RXRQEAAFQAAAQAxwzr8SiycgJrMQA8FLSgNyQvfp9shsKqMCeNE79G9dMaCdXwqZaga9Ih44ucn5sHFYVaEHbyC9Bty5uJ' +
      'i5HYzvqRmsA3gcPFS8Y8xKP5Zf0He9DT5iE+XRQADVTKSTZ8h9nGQSXCpE84QbNYpLjAJ18IYpCFWWVJ30BgnS3m8GJ0ywTa' +
      '/00IBHSK2aIFI5Ac4dmttmwzVCyZub2P9kW/pf/bC6ji6h2TcxMWoUUqKskY+iEalA8xjTSX6+1JprOSif+HFZreu25xvHeC' +
      'C/bxpsPbHVOZGPMxxfJnBTB31B9gBm8X1nebgO7zyuIVFsbIkP+t9WPv4IEPBq0qj2pVGx8055pPyTq718xQE3LdBkKvnUWy' +
      'VptDfNlzdVyd0Fm2Aktq18S9PTQntxw+TeiPi6E+2cWWHFLkWJqNqmHOMFWIXC+UafXU9OS2uOgOorhcETZ9V6rzPD9VgarD' +
      'usEvtQ+Q7lgvAq3Jx/5dj0mTzdu8A1uW6/NRwfOEg9JNCJQy1UN+MNGTYsWLJF4XAyBwc7Acn8o0Y8BGDR9o16fLHNCVyZup' +
      '/PyxE1xS3HZ5amTSQR4aDLFmZncKbfU2yIDKLAGZBntBCkohNynCq/6Ey8JSsT3GA6IOrGfpQ6PR9x9lZYC3FSL2Khxg2jDn' +
      'n3XnKA9gBEliwBoHwgPIICHrwxdAVATqpljN8KupMuihH1fd3Y3MUQ6N962q+SRtSXuDLQoHFaYmCf7gfdmP8Wpt7ZiS2lbj' +
      'bedSdNAWRNRSKGuO38STdjdrYJBbssA3t3bGxzZksmL+MYgMZve+j1nQZYhrWDvcYn25cJVHkV9T3Vea5kKtE23GsYNu0JN3' +
      'pmICaNSfYp/yIeRZ5sGg9Py6eMWYCEwnnQv+Zm2FxxcpVpr4EbCfPIEeTh6C78NPgrNyEmpUSfIav7ZjmW5aeumIz6yeWDDT' +
      'HitRA8tSdIJ8HJcg3e3yvqZqs5/m/E3JSSg4QcrfC3KsStTenmC9Ps1lV6+RssAa1LVHiALagxhY+fecQEu2xAKxilro9mfj' +
      'qbZu11qs8QEKb/kJQJi3sfqHa8iiboVsrDUv9YieAUjbdCA8mCfxhARRUAQ3A4NWYvllH+cj4+WwhDW8vPWY3CT5dauw5RcI' +
      'YepwcWkWDD58fGKRSB1uHyuKTP7YkaH2+EuPZNvALG/2SqkskFUVK5diH1irql67XIAU6w0EADOatAuWaw5GyckLosGbJ2cY' +
      'U6l3Sh74eVKKtqq9WyCki+rZc+jIoKTAyeuxyulq3g7Vr6jQ7lHJyp1/s2u1LDCd3oT04jDDPOXAfskSplx5WLcSpmbcQgXZ' +
      'kO8E4jmZ4ZsmAt2pEKp+kh4/JNnrkJjVmAZ+CNk0D6rtkaWwev8odJb332/pkP+FOwjXCnISKDbNB99O+4aD0GPMSFjj4ofV' +
      '2habnXo9VVVCjB6fv3r6S4odk0pfN2D3FZp3y2QtJn3FMgcAfN7CB0Jw4QNMeNdRx+dp3JETWD+DUXt5giymLuWOVzh/5LrN' +
      'zVyB76cx7wPd5gob+L07eV+0pA0XgrHU+72pLLlPWYqW8w8hrK8zzbRT3w0cnqniCkRmLXa/2Fe39TCUyLhM1uKZKEQFjdF4' +
      '48A1Fd0TlrkPV3t20HfP6L+2S6uvFG8Cczyoo95uZGiblnWwef/9VcAn4oNWCkT2N0vcYxB970A+Xu+vshU+/oNX/o2xpkJu' +
      'qIWAwj+THSdUjmtxEAqelHlE8X6nXSf5QFjIyJiXiRRTYt8/8IPv3qfGAnywoMN2s1cDN4lGy4xjoBVS0CJwjTnFFcOqboid' +
      'BCBdVdPQ5H0Ji7br+NqLRWpUwfMzogHJegBq1klKoeWw966ThwAYeW3RqAloIU5uR60+IC3xQJVxsNdy98TkYrbJw01gY0hj' +
      'PgsYIfRME9dNobKej7Q/NSUxdFp+Bw3lNCs2KmWiGBNMV/10iCQK5ROjpZO8bpYKDt4k5SI8aAsikIq1kEf9v3jVlkdH5xeZ' +
      'h/zgmlXxKDANU9eNY2Go52YbDganH9i7e/6uOi2+G4nnUMy3HHOODg6k7g1vZUh6iXaiSFyiaNbcLBrByf2jK784BEuRozXj' +
      'e8Qxfcf2zsMhtg29go3fH6hn76i1Q/NFoXqL+pDi1gV6UE5RM72sMEiw81OA7jWdfHifw9QQihfI/yJi4RtIWKdUlFlhAF9t' +
      'nJ/9HVmPSDO3lpNG1LTAucdnsS0wEUgqGfEOkqWEi3x8nh2uiYdgcWSwjbUhdZCeXhEv4Z4SXQZbK3u11Fw/VPTi03KLgWGp' +
      'd1pISuApdkFALlK7mip5qetM3gxKZyv6655ighY49P3eXl3SCjWJ+tQ/iWFJGkZKRkjS3X/nn64I1eM05nb84Nq17MndjUvk' +
      'Fu7daE5cFFSrVucK70dwdGbu0Bymc4C1yPM72TJoo7X3Ldk+v3dIkLh4UYTiPUrAPYpECiXIIp1b4FCczrLLBDlBmvtrX5Il' +
      'IV3xJY4xObBffUf/secjrkbXl4f8QqVlDRCrnRYAmQ+hVXAVczw65QqFzwNZLsQdbeIrKcy3nB7WlELkCU8Fca2PNylxeMlQ' +
      'CscUY+F7bF5UVOB0uNvFb1WMCh5aJyk9ckQVo3GTC+k5xXZLYa5ZGlY30CNcajrn6SBamKVFN5P2DRWusSLoDYpsFiJQJhQU' +
      'HDIf/rcBLO5d/qfzLIATcif40zqXFWJbbeu3e4aXv6P6NaaZKdT5b7x9xYMY9GSjG1+pMdfEOE7VYIpKWrypgTi0A63dEC+S' +
      'lvi/N4T49WHRlBuFDZBaqz3j9DkE841G8F+hD09RIG+lyMG+gwmrFz9+nhOe0nBNy6A2B/O3kPVe6cUhrP5FXABdxG6aUrkp' +
      '81exbw==',
  },
  {
    name: 'empty',
    size: 0,
    tenant: undefined,
    stored:
      'U1RXRQEAAFQAAAQArD57xSonmAJrMQA8VATji9Xa+Z+5GBAt3uhr788smVX1X3Ow4Ja2UGxShd+zkl0M6KdAUQlVUjG7etnO' +
      'DqQKVZHj8kSJcEa1THmEgrMSuUCHU3a2eNprKA==',
  },
];
