#!/usr/bin/env python3
# Reference for docs/classify.md: count-based generative classifiers (character
# unigram / interpolated bigram, add-alpha smoothing, Bayes with the training
# shares as priors) under stratified 5-fold cross-validation of the names that
# tests/test_scoring.cpp trains on. The held-out names are left out by reading
# the training names from a checkpoint trained with --seed 7 on both casts.
# Folds are drawn with Python's random, not the ones of classify_cv.cpp.
#   build/wuxia train --data jinyong=data/jinyong.txt --data gulong=data/gulong.txt --seed 7 --steps 1 --out runs/base
#   python3 scripts/classify_nb_cv.py [runs/base/best.safetensors]
import json,struct,math,random,collections,sys
b=open(sys.argv[1] if len(sys.argv)>1 else 'runs/base/best.safetensors','rb').read()
n=struct.unpack('<Q',b[:8])[0]; m=json.loads(b[8:8+n])['__metadata__']
names=json.loads(m['names']); tr=names['train']
data=[(x,0) for x in tr['jinyong']]+[(x,1) for x in tr['gulong']]
def folds(K=5,seed=1):
    r=random.Random(seed); out=[[] for _ in range(K)]
    for s in (0,1):
        xs=[d for d in data if d[1]==s]; r.shuffle(xs)
        for j,d in enumerate(xs): out[j%K].append(d)
    return out
def train_model(tr,order,alpha,lam):
    mods=[]
    for s in (0,1):
        uni=collections.Counter(); bi=collections.Counter(); ctx=collections.Counter()
        for x,y in tr:
            if y!=s: continue
            seq=['^']+list(x)+['$']
            for i in range(1,len(seq)):
                uni[seq[i]]+=1; bi[(seq[i-1],seq[i])]+=1; ctx[seq[i-1]]+=1
        mods.append((uni,bi,ctx,sum(uni.values())))
    V=len(set(c for x,_ in data for c in x))+1
    def ll(x,s):
        uni,bi,ctx,N=mods[s]; seq=['^']+list(x)+['$']; t=0
        for i in range(1,len(seq)):
            pu=(uni[seq[i]]+alpha)/(N+alpha*V)
            if order==1: p=pu
            else:
                c=ctx[seq[i-1]]; pb=bi[(seq[i-1],seq[i])]/c if c else 0
                l=c/(c+lam) if c else 0
                p=l*pb+(1-l)*pu
            t+=math.log(p)
        return t
    return ll
def cv(order,alpha,lam,K=5,seed=1):
    fs=folds(K,seed); accs=[];bals=[]
    for k in range(K):
        tr=[d for j,f in enumerate(fs) if j!=k for d in f]; dev=fs[k]
        ll=train_model(tr,order,alpha,lam); n1=sum(y for _,y in tr); pri=[math.log(1-n1/len(tr)),math.log(n1/len(tr))]
        r=[0,0];c=[0,0]
        for x,y in dev:
            g=1 if ll(x,1)+pri[1]>ll(x,0)+pri[0] else 0
            r[y]+=g==y;c[y]+=1
        accs.append(sum(r)/sum(c)); bals.append(0.5*(r[0]/c[0]+r[1]/c[1]))
    f=lambda v:(sum(v)/len(v),(sum((a-sum(v)/len(v))**2 for a in v)/(len(v)-1)/len(v))**.5)
    return f(accs),f(bals)
for order in (1,2):
    for alpha in (0.01,0.1,0.5,1):
        for lam in ((1,5,20) if order==2 else (0,)):
            (a,ase),(bb,bse)=cv(order,alpha,lam)
            print(f"order={order} alpha={alpha} lam={lam}: acc {a:.3f}±{ase:.3f} bal {bb:.3f}±{bse:.3f}")
